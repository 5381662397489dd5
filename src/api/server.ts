import { createServer, type Server } from "node:http";
import type { ContainerService } from "../engine/containers/service.ts";
import type { ExecService } from "../engine/containers/exec.ts";
import type { ImageService } from "../engine/images/service.ts";
import type { VolumeService } from "../engine/volumes/service.ts";
import type { SystemService } from "../engine/system.ts";
import { moorVersion } from "../version.ts";
import { Router, type ErrorReporter } from "./router.ts";
import { addSystemRoutes, type SystemFacts } from "./system.ts";
import { addVolumeRoutes } from "./volumes.ts";
import { addImageRoutes } from "./images.ts";
import { addContainerRoutes } from "./containers.ts";
import { handleUpgrade } from "./attach.ts";
import { addExecRoutes } from "./exec.ts";
import { addNetworkRoutes } from "./networks.ts";
import { addPluginRoutes } from "./plugins.ts";
import { addArchiveRoutes } from "./archive.ts";
import { addBuildRoutes } from "./build.ts";
import { addVolumeCareRoutes } from "./volume-care.ts";
import type { Builder } from "../engine/build/builder.ts";
import type { HealthMonitor } from "../engine/containers/health.ts";
import type { VolumeBackups } from "../engine/volumes/backup.ts";
import type { BackupScheduler } from "../engine/volumes/backup-schedule.ts";
import { apiVersions } from "./version.ts";

export interface ApiDependencies {
  volumes: VolumeService;
  images: ImageService;
  containers: ContainerService;
  execs: ExecService;
  health: HealthMonitor;
  builder: Builder;
  backups: VolumeBackups;
  backupSchedules: BackupScheduler;
  system: SystemService;
  facts: SystemFacts;
  reportError: ErrorReporter;
}

/** The Docker Engine API over node:http; the caller decides where it listens. */
export function createApiServer(deps: ApiDependencies): Server {
  const router = new Router(
    {
      "Api-Version": apiVersions.max,
      "Docker-Experimental": "false",
      Ostype: "linux",
      Server: `moor/${moorVersion} (linux)`,
    },
    deps.reportError,
  );
  addSystemRoutes(router, deps.facts, deps.system, deps);
  addVolumeRoutes(router, deps.volumes);
  addImageRoutes(router, deps.images);
  addContainerRoutes(router, deps.containers, deps.execs, deps.health);
  addExecRoutes(router, deps.execs);
  addNetworkRoutes(router);
  addPluginRoutes(router);
  addArchiveRoutes(router, deps.containers, deps.volumes);
  addBuildRoutes(router, deps.builder, deps.images);
  addVolumeCareRoutes(router, deps.backups, deps.volumes, deps.backupSchedules);
  // Go's server accepts up to 1 MiB of headers; dockerode repeats big JSON bodies in the query.
  // dockerd never closes an idle keep-alive connection (Go's server has no IdleTimeout), and
  // neither does moor: a timeout races a client that reuses its pooled connection just as the
  // engine closes it (its request fails with ECONNRESET), likeliest after a long busy spell of
  // the client's, such as waiting for a `volume ls --size` that sized a million files.
  const server = createServer({ maxHeaderSize: 1024 * 1024, keepAliveTimeout: 0 }, (req, res) => router.handle(req, res));
  server.on("upgrade", (req, socket, head) => {
    // node's server drops its error listener from an upgraded connection: without one, a
    // client hanging up before the answer is written (EPIPE) would end the engine. The streams
    // notice the close by their own listeners.
    socket.on("error", () => {});
    handleUpgrade(deps, req, socket, head)
      .then((handled) => {
        if (!handled) socket.end("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 29\r\n\r\n{\"message\":\"page not found\"}\n");
      })
      .catch((err: unknown) => {
        deps.reportError(err, req);
        socket.destroy();
      });
  });
  return server;
}
