import { BackupScheduler } from "./engine/volumes/backup-schedule.ts";
import { BackupScheduleStore } from "./store/backup-schedule-store.ts";
import { VolumeBackups } from "./engine/volumes/backup.ts";
import { chmod, chown, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { pino } from "pino";
import { createApiServer } from "./api/server.ts";
import { readHostFacts } from "./engine/host.ts";
import { LocalDriver } from "./engine/volumes/local-driver.ts";
import { ImageService } from "./engine/images/service.ts";
import { LayerStore } from "./engine/images/layers.ts";
import { Builder } from "./engine/build/builder.ts";
import { HealthMonitor } from "./engine/containers/health.ts";
import { ImageStore } from "./store/image-store.ts";
import { ContainerService } from "./engine/containers/service.ts";
import { ExecService } from "./engine/containers/exec.ts";
import { ContainerStore } from "./store/container-store.ts";
import { ConmonRuntime } from "./engine/runtime/conmon.ts";
import { readContainerHostFacts } from "./engine/containers/host-runtime.ts";
import { VolumeService } from "./engine/volumes/service.ts";
import { SystemService } from "./engine/system.ts";
import { MoorError } from "./errors.ts";
import { openDatabase } from "./store/database.ts";
import { EngineStore } from "./store/engine-store.ts";
import { VolumeStore } from "./store/volume-store.ts";
import { IdleCollector } from "./util/idle-gc.ts";
import { SpaceReserve } from "./engine/space-reserve.ts";
import { moorVersion } from "./version.ts";

export interface EngineOptions {
  root: string;
  execRoot: string;
  host: string;
  logLevel: string;
}

export interface RunningEngine {
  socketPath: string;
  /** Stops serving, closes the store and releases the root; resolves when all is done. */
  stop(): Promise<void>;
}

/** The composition root: the only place that constructs the engine's parts. */
/** What the engine keeps free for its metadata on the disk that holds its root (see SpaceReserve). */
const spaceReserveBytes = 8 * 1024 * 1024;

export async function startEngine(options: EngineOptions): Promise<RunningEngine> {
  const log = pino({ level: options.logLevel, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
  const socketPath = unixSocketPath(options.host);
  process.umask(0o022);
  await mkdir(options.root, { recursive: true, mode: 0o711 });
  await mkdir(options.execRoot, { recursive: true, mode: 0o700 });
  const volumesDir = join(options.root, "volumes");
  await mkdir(volumesDir, { recursive: true, mode: 0o701 });

  const releaseRoot = await lockRoot(options.root);
  // Before the database opens: on a full disk, even the engine's start writes to it.
  const reserve = new SpaceReserve(join(options.root, "space-reserve"), spaceReserveBytes, log);
  reserve.check();
  const db = openDatabase(join(options.root, "moor.db"));
  const volumes = new VolumeService(new VolumeStore(db), new Map([["local", new LocalDriver(volumesDir, log)]]), log);
  const containerStore = new ContainerStore(db);
  await volumes.recover(new Set(containerStore.runningIds()));
  const host = readHostFacts();
  const images = new ImageService(new ImageStore(db), new LayerStore(join(options.root, "image", "layers")), {
    architecture: host.goArch,
    os: "linux",
  });
  await images.recover();
  const runtime = new ConmonRuntime({ execRoot: options.execRoot });
  const containers = new ContainerService(
    containerStore,
    images,
    volumes,
    runtime,
    options.root,
    readContainerHostFacts(),
    log,
  );
  const execs = new ExecService(containers, runtime, log);
  // Listening before recover() adopts running containers: their checks start again.
  const health = new HealthMonitor(containers, execs, log);
  await containers.recover();
  await execs.recover();
  const builder = new Builder(images, containers, join(options.root, "builds"), log);
  await builder.recover();

  const backups = new VolumeBackups(volumes, containers, log);
  const backupSchedules = new BackupScheduler(new BackupScheduleStore(db), backups, volumes, log);
  await backupSchedules.start();

  const server = createApiServer({
    volumes,
    images,
    containers,
    execs,
    health,
    builder,
    backups,
    backupSchedules,
    system: new SystemService(new EngineStore(db)),
    facts: { host, root: options.root },
    reportError: (err, req) => log.error({ err, method: req.method, url: req.url }, "request failed"),
  });

  const idle = new IdleCollector();
  server.on("request", (_req, res) => res.once("finish", () => idle.touch()));
  // Ahead of the API's handler: the request's own writes find the room.
  server.prependListener("request", () => reserve.check());

  await claimSocket(socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  await restrictSocket(socketPath);
  log.info({ version: moorVersion, root: options.root, host: options.host }, "engine started");

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info("engine stopping");
      containers.stopWatching();
      health.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Long polls (wait, attach, logs --follow) would hold the stop forever: clients see
        // their connection end, as when dockerd stops.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
      idle.stop();
      await backupSchedules.stop();
      await Promise.all([volumes.settled(), containers.settled()]);
      db.close();
      await rm(socketPath, { force: true });
      releaseRoot();
      log.info("engine stopped");
    })());
  return { socketPath, stop };
}

export function unixSocketPath(host: string): string {
  if (!host.startsWith("unix://")) {
    throw new MoorError("invalid", `unsupported host ${JSON.stringify(host)}: moor engine listens on unix sockets only (unix:///path)`);
  }
  const path = host.slice("unix://".length);
  if (!path.startsWith("/")) throw new MoorError("invalid", `invalid host ${JSON.stringify(host)}: the socket path must be absolute`);
  return path;
}

/**
 * One engine per root. The lock is a SQLite exclusive lock (an fcntl lock held by this
 * process): the kernel drops it when the process dies, even by kill -9, so there is no stale
 * lock to clean up.
 */
async function lockRoot(root: string): Promise<() => void> {
  const lock = new Database(join(root, "engine.lock"), { timeout: 0 });
  try {
    lock.pragma("locking_mode = EXCLUSIVE");
    lock.exec("BEGIN EXCLUSIVE");
  } catch (err) {
    lock.close();
    if ((err as { code?: string }).code !== "SQLITE_BUSY") throw err;
    const pid = (await readFile(join(root, "engine.pid"), "utf8").catch(() => "")).trim();
    throw new MoorError(
      "conflict",
      `another moor engine${pid ? ` (pid ${pid})` : ""} is already running with root ${root}: stop it first, or start this one with another --root`,
    );
  }
  await writeFile(join(root, "engine.pid"), `${process.pid}\n`);
  return () => {
    lock.close();
  };
}

/** A socket file left by a dead engine is removed; one a live engine answers on is not. */
async function claimSocket(path: string): Promise<void> {
  const answered = await new Promise<boolean>((resolve) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
  if (answered) {
    throw new MoorError("conflict", `another engine is already listening on unix://${path}: stop it first, or start this one with another --host`);
  }
  await rm(path, { force: true });
  await mkdir(join(path, ".."), { recursive: true });
}

/** root:docker 0660 when a docker group exists, as dockerd does, else root only. */
async function restrictSocket(path: string): Promise<void> {
  const groups = await readFile("/etc/group", "utf8").catch(() => "");
  const docker = groups.split("\n").find((line) => line.startsWith("docker:"));
  const gid = docker === undefined ? undefined : Number.parseInt(docker.split(":")[2], 10);
  if (gid !== undefined && Number.isInteger(gid)) {
    await chown(path, 0, gid).catch(() => undefined);
    await chmod(path, 0o660);
  } else {
    await chmod(path, 0o600);
  }
}

