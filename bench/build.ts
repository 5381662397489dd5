// Dockerfile builds against moor and a reference dockerd (its classic builder), in one run;
// prints each figure for both engines, the ratio moor/dockerd and whether moor meets its target.
//
//   REF_DOCKER_HOST=unix:///run/refdocker.sock npm run bench:build
//
// 1. A fully cached rebuild of a 10-step Dockerfile (every step answered from the cache).
// 2. A build whose one COPY takes a context of BENCH_FILES small files (--no-cache each time).
//
// Both engines are driven by the real docker CLI (DOCKER_BUILDKIT=0), alternately, so that they
// see the same machine. moor is started from the built binary on a temporary root; the reference
// engine must be running already (see README). Everything made here is removed at the end.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { removeAllContainers, startEngine } from "../test/support/engine.ts";
import { median } from "./support.ts";

const refHost = process.env.REF_DOCKER_HOST;
if (!refHost?.startsWith("unix://")) {
  console.error("set REF_DOCKER_HOST=unix:///path/to/dockerd.sock (a running reference dockerd)");
  process.exit(2);
}
const runs = Number(process.env.BENCH_RUNS ?? 10);
const copyRuns = Number(process.env.BENCH_COPY_RUNS ?? 5);
const fileCount = Number(process.env.BENCH_FILES ?? 10_000);
const filesPerDirectory = 100;

interface Daemon {
  name: "moor" | "dockerd";
  host: string;
}

const dockerConfig = mkdtempSync(join(tmpdir(), "moor-bench-docker-config-"));
const work = mkdtempSync(join(tmpdir(), "moor-bench-build-"));
const suffix = randomBytes(4).toString("hex");
const base = `bench-build-base-${suffix}`;
const tags = { cached: `bench-build-cached-${suffix}`, copy: `bench-build-copy-${suffix}` };

function dockerCli(daemon: Daemon, args: string[]): { ms: number; stdout: string } {
  const start = performance.now();
  const result = spawnSync("docker", ["-H", daemon.host, ...args], {
    env: { ...process.env, DOCKER_CONFIG: dockerConfig, DOCKER_CLI_HINTS: "false", DOCKER_BUILDKIT: "0" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 << 20,
  });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`${daemon.name}: docker ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return { ms, stdout: result.stdout };
}

function tenStepContext(): string {
  const dir = join(work, "ten-steps");
  mkdirSync(dir);
  writeFileSync(join(dir, "config.txt"), "setting=1\n");
  writeFileSync(join(dir, "app.sh"), "#!/bin/sh\necho app\n");
  writeFileSync(
    join(dir, "Dockerfile"),
    [
      `FROM ${base}`,
      "ENV APP_HOME=/srv/app",
      "WORKDIR /srv/app",
      "COPY config.txt ./",
      "COPY app.sh /usr/local/bin/app",
      "RUN mkdir -p /var/lib/app && echo ready > /var/lib/app/state",
      "LABEL org.example.role=bench",
      "EXPOSE 8080",
      "VOLUME /var/lib/app",
      'CMD ["app"]',
      "",
    ].join("\n"),
  );
  return dir;
}

function manyFilesContext(): string {
  const dir = join(work, "many-files");
  for (let index = 0; index < fileCount; index++) {
    const sub = join(dir, "files", `d${Math.floor(index / filesPerDirectory)}`);
    if (index % filesPerDirectory === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${index}`), `file ${index}\n`);
  }
  writeFileSync(join(dir, "Dockerfile"), `FROM ${base}\nCOPY files /files\n`);
  return dir;
}

const engine = await startEngine();
const moor: Daemon = { name: "moor", host: engine.host };
const ref: Daemon = { name: "dockerd", host: refHost };
const daemons = [moor, ref];
try {
  const tarball = join(work, "busybox.tar");
  spawnSync(resolve(import.meta.dirname, "../scripts/make-test-image.sh"), [tarball], { stdio: "ignore" });
  for (const daemon of daemons) dockerCli(daemon, ["import", tarball, base]);
  const tenSteps = tenStepContext();
  const manyFiles = manyFilesContext();
  console.log(`build benchmark: cached rebuild of 10 steps, median of ${runs}; COPY of ${fileCount} files, median of ${copyRuns}; load average ${loadavg()[0].toFixed(2)}`);

  const cached = new Map<Daemon, number[]>(daemons.map((d) => [d, []]));
  for (const daemon of daemons) dockerCli(daemon, ["build", "-q", "-t", tags.cached, tenSteps]);
  for (let run = 0; run < runs; run++) {
    for (const daemon of daemons) {
      const { ms, stdout } = dockerCli(daemon, ["build", "-t", tags.cached, tenSteps]);
      if ((stdout.match(/Using cache/g) ?? []).length !== 9) throw new Error(`${daemon.name}: the rebuild was not fully cached:\n${stdout}`);
      cached.get(daemon)!.push(ms);
    }
  }
  const copies = new Map<Daemon, number[]>(daemons.map((d) => [d, []]));
  for (let run = 0; run < copyRuns; run++) {
    for (const daemon of daemons) {
      copies.get(daemon)!.push(dockerCli(daemon, ["build", "-q", "--no-cache", "-t", tags.copy, manyFiles]).ms);
      const count = dockerCli(daemon, ["run", "--rm", tags.copy, "sh", "-c", "find /files -type f | wc -l"]).stdout.trim();
      if (Number(count) !== fileCount) throw new Error(`${daemon.name}: the image holds ${count} files, not ${fileCount}`);
    }
  }

  const rows = [
    { figure: "cached rebuild, 10 steps (ms)", moor: median(cached.get(moor)!), dockerd: median(cached.get(ref)!), atMost: 0.5 },
    { figure: `build copying ${fileCount} files (ms)`, moor: median(copies.get(moor)!), dockerd: median(copies.get(ref)!), atMost: 1.0 },
  ];
  const table = [["figure", "moor", "dockerd", "moor/dockerd", "target", "met"]];
  for (const row of rows) {
    const ratio = row.moor / row.dockerd;
    table.push([row.figure, row.moor.toFixed(1), row.dockerd.toFixed(1), ratio.toFixed(2), `≤ ${row.atMost.toFixed(2)}`, ratio <= row.atMost ? "yes" : "NO"]);
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
  for (const row of table) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join("   ").trimEnd());
} finally {
  await removeAllContainers(engine);
  await engine.stop();
  engine.cleanup();
  for (const image of [tags.cached, tags.copy, base]) {
    spawnSync("docker", ["-H", ref.host, "rmi", image], { env: { ...process.env, DOCKER_CONFIG: dockerConfig }, stdio: "ignore" });
  }
  rmSync(work, { recursive: true, force: true });
  rmSync(dockerConfig, { recursive: true, force: true });
}
