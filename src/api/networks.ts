import { MoorError, messages } from "../errors.ts";
import type { Router } from "./router.ts";

/** The networks dockerd always has; moor runs containers on the first two but serves no network objects yet. */
const builtinNetworks = new Set(["host", "none", "bridge"]);

/**
 * Until networks are served, any other name is answered as dockerd answers a missing network:
 * `docker inspect NAME` asks for a network before a volume and must hear "not found" to go on.
 */
export function addNetworkRoutes(router: Router): void {
  router.add("GET", "/networks/:id", ({ req, params }) => {
    if (builtinNetworks.has(params.id)) throw new MoorError("not_implemented", messages.notImplemented("GET", new URL(req.url ?? "/", "http://moor").pathname));
    throw new MoorError("not_found", `network ${params.id} not found`);
  });
}
