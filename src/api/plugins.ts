import { MoorError } from "../errors.ts";
import { sendJson } from "./http.ts";
import type { Router } from "./router.ts";

/** moor has no engine plugins: the list is empty and every name is missing, in dockerd's words. */
export function addPluginRoutes(router: Router): void {
  router.add("GET", "/plugins", ({ res }) => sendJson(res, 200, []));
  router.add("GET", "/plugins/:name/json", ({ params }) => {
    throw new MoorError("not_found", `plugin ${JSON.stringify(params.name)} not found`);
  });
}
