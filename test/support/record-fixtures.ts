// Records what an engine does for every volume scenario in ./scenarios.ts.
//
//   node --import tsx test/support/record-fixtures.ts unix:///run/refdocker.sock [OUT]
//
// OUT defaults to test/fixtures/dockerd-volumes.json. Optional: a third argument with a
// comma-separated list of scenario names records only those (written to OUT as well).

import { execFileSync } from "node:child_process";
import * as http from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { runScenario, scenarios, type StepResult } from "./scenarios.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const host = process.argv[2];
if (!host) {
  console.error("usage: record-fixtures.ts <engine-host e.g. unix:///run/refdocker.sock> [out.json] [names]");
  process.exit(2);
}
const out = path.resolve(process.argv[3] ?? path.join(here, "..", "fixtures", "dockerd-volumes.json"));
const only = process.argv[4]?.split(",");

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

const results: Record<string, StepResult[]> = {};
const started = Date.now();
for (const s of scenarios) {
  if (only && !only.includes(s.name)) continue;
  const t0 = Date.now();
  results[s.name] = await runScenario(host, s);
  process.stderr.write(`${s.name} (${Date.now() - t0} ms)\n`);
}

const doc = {
  recordedWith: { serverVersion: version.Version, apiVersion: version.ApiVersion, cli },
  results,
};
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(doc, null, 2) + "\n");
process.stderr.write(
  `wrote ${Object.keys(results).length} scenarios to ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
);
