// Records what an engine does for every volume scenario in ./scenarios.ts.
//
//   node --import tsx test/support/record-fixtures.ts unix:///run/refdocker.sock [OUT]
//
// OUT defaults to test/fixtures/dockerd-volumes.json. Optional: a third argument with a
// comma-separated list of scenario names records only those (written to OUT as well).
//
// With `--mounts` first, the container mount scenarios of ./mount-scenarios.ts are recorded
// instead (OUT defaults to test/fixtures/dockerd-mounts.json): their images are imported
// first (./mount-images.ts) and removed after, and any container or volume named `mnt-*`
// (or anonymous and new) that a scenario leaves behind is reported on stderr.

import { execFileSync } from "node:child_process";
import * as http from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { createMountImages, removeMountImages } from "./mount-images.js";
import { mountScenarios } from "./mount-scenarios.js";
import { runScenario, scenarios, type Scenario, type StepResult } from "./scenarios.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const mounts = argv[0] === "--mounts";
if (mounts) argv.shift();
const host = argv[0];
if (!host) {
  console.error("usage: record-fixtures.ts [--mounts] <engine-host e.g. unix:///run/refdocker.sock> [out.json] [names]");
  process.exit(2);
}
const fixture = mounts ? "dockerd-mounts.json" : "dockerd-volumes.json";
const out = path.resolve(argv[1] ?? path.join(here, "..", "fixtures", fixture));
const only = argv[2]?.split(",");
const selected: Scenario[] = mounts ? mountScenarios : scenarios;

function getVersion(): Promise<{ Version: string; ApiVersion: string }> {
  const socketPath = host.startsWith("unix://") ? host.slice(7) : undefined;
  const u = socketPath ? undefined : new URL(host.replace(/^tcp:/, "http:"));
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, host: u?.hostname, port: u?.port, path: "/version", agent: false }, (res) => {
        let b = "";
        res.on("data", (c: Buffer) => (b += c.toString("utf8")));
        res.on("end", () => {
          try {
            resolve(JSON.parse(b) as { Version: string; ApiVersion: string });
          } catch (e) {
            reject(e);
          }
        });
      })
      .on("error", reject);
  });
}

function cliVersion(): string {
  const bin = process.env.MOOR_DOCKER_CLI ?? "docker";
  return execFileSync(bin, ["version", "--format", "{{.Client.Version}}"], {
    env: { PATH: process.env.PATH ?? "", DOCKER_HOST: "unix:///nonexistent" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  }).trim();
}

const version = await getVersion();
let cli: string;
try {
  cli = cliVersion();
} catch (e) {
  // `docker version` exits 1 when it cannot reach a daemon but still prints the client part.
  cli = String((e as { stdout?: string }).stdout ?? "").trim() || "unknown";
}

/** Containers and volumes a mount scenario may have made: `mnt-*` names and 64-hex volumes. */
function owned(): Set<string> {
  const list = (args: string[]) =>
    execFileSync(process.env.MOOR_DOCKER_CLI ?? "docker", ["-H", host, ...args], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l !== "");
  const containers = list(["ps", "-a", "--format", "{{.Names}}"]).filter((n) => n.startsWith("mnt-"));
  const volumes = list(["volume", "ls", "-q"]).filter((n) => n.startsWith("mnt-") || /^[0-9a-f]{64}$/.test(n));
  return new Set([...containers.map((c) => `container ${c}`), ...volumes.map((v) => `volume ${v}`)]);
}

if (mounts) createMountImages(host);
const results: Record<string, StepResult[]> = {};
const started = Date.now();
for (const s of selected) {
  if (only && !only.includes(s.name)) continue;
  const before = mounts ? owned() : new Set<string>();
  const t0 = Date.now();
  results[s.name] = await runScenario(host, s);
  process.stderr.write(`${s.name} (${Date.now() - t0} ms)\n`);
  if (mounts) {
    const left = [...owned()].filter((x) => !before.has(x));
    if (left.length) process.stderr.write(`  LEFT BEHIND by ${s.name}: ${left.join(", ")}\n`);
  }
}
if (mounts) removeMountImages(host);

const doc = {
  recordedWith: { serverVersion: version.Version, apiVersion: version.ApiVersion, cli },
  results,
};
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(doc, null, 2) + "\n");
process.stderr.write(
  `wrote ${Object.keys(results).length} scenarios to ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
);
