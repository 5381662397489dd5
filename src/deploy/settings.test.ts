import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadProject } from "./compose/load.ts";
import { deploySettings, volumeBackupSettings } from "./settings.ts";

function service(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), "moor-settings-"));
  try {
    writeFileSync(join(dir, "compose.yaml"), `services:\n  web:\n    image: busybox\n${yaml}volumes:\n  data: {}\n`);
    return loadProject({ workingDir: dir, projectName: "shop", env: {} }).services.web;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("without x-moor: stop-first, no snapshot, a 3 s settle, a 5 min health timeout", () => {
  assert.deepEqual(deploySettings(service("")), { order: "stop-first", snapshot: false, settle: 3000, healthTimeout: 300_000 });
});

test("x-moor settings are read with compose's durations (a bare number is seconds)", () => {
  assert.deepEqual(deploySettings(service("    x-moor: {order: start-first, snapshot: true, settle: 1.5s, health_timeout: 2}\n")), {
    order: "start-first",
    snapshot: true,
    settle: 1500,
    healthTimeout: 2000,
  });
});

test("a wrong x-moor setting is an error that names the place and what is allowed", () => {
  const cases: Array<[string, string]> = [
    ["    x-moor: [start-first]\n", "services.web.x-moor must be a mapping"],
    ["    x-moor: {strategy: rolling}\n", 'services.web.x-moor: unknown key "strategy" (known: order, snapshot, settle, health_timeout)'],
    ["    x-moor: {order: blue-green}\n", 'services.web.x-moor.order must be "stop-first" or "start-first", not "blue-green"'],
    ["    x-moor: {snapshot: yes please}\n", "services.web.x-moor.snapshot must be true or false"],
    ["    x-moor: {settle: soon}\n", 'services.web.x-moor.settle: time: invalid duration "soon"'],
  ];
  for (const [yaml, message] of cases) assert.throws(() => deploySettings(service(yaml)), { message }, yaml);
});

test("start-first is refused for a service that writes to a volume or bind mount, allowed when they are read-only", () => {
  assert.throws(() => deploySettings(service("    volumes: [data:/data, /srv/conf:/conf:ro]\n    x-moor: {order: start-first}\n")), {
    message: "services.web.x-moor.order: start-first would run two containers on the data of /data at once; keep stop-first, or mount the data read-only",
  });
  assert.equal(deploySettings(service("    volumes: [/srv/conf:/conf:ro]\n    tmpfs: [/tmp]\n    x-moor: {order: start-first}\n")).order, "start-first");
});

function volumeBackup(xMoor: string) {
  const dir = mkdtempSync(join(tmpdir(), "moor-settings-"));
  try {
    writeFileSync(join(dir, "compose.yaml"), `services:\n  web:\n    image: busybox\nvolumes:\n  data:\n    x-moor: ${xMoor}\n`);
    const project = loadProject({ workingDir: dir, projectName: "shop", env: {} });
    return { dir, settings: () => volumeBackupSettings("data", project.volumes.data, project.workingDir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a volume's x-moor backup: the defaults, and the target resolved against the project directory", () => {
  const { dir, settings } = volumeBackup(`{backup: {schedule: "0 3 * * *"}}`);
  assert.deepEqual(settings(), { schedule: "0 3 * * *", keep: 7, target: join(dir, "backups"), writers: "stop" });
  const custom = volumeBackup(`{backup: {schedule: "@hourly", keep: 24, target: /srv/backups, writers: pause}}`);
  assert.deepEqual(custom.settings(), { schedule: "@hourly", keep: 24, target: "/srv/backups", writers: "pause" });
});

test("a volume's x-moor backup refuses what it cannot use, saying where", () => {
  const cases: Array<[string, string]> = [
    ["{backup: {keep: 3}}", 'volumes.data.x-moor.backup.schedule is required: a cron expression such as "0 3 * * *"'],
    ['{backup: {schedule: "@daily", keep: 0}}', "volumes.data.x-moor.backup.keep must be a whole number of at least 1"],
    ['{backup: {schedule: "@daily", writers: kill}}', 'volumes.data.x-moor.backup.writers must be stop, pause or refuse, not "kill"'],
    ['{backup: {schedule: "@daily", retain: 3}}', 'volumes.data.x-moor.backup: unknown key "retain" (known: schedule, keep, target, writers)'],
    ["{snapshot: true}", 'volumes.data.x-moor: unknown key "snapshot" (known: backup)'],
  ];
  for (const [xMoor, message] of cases) assert.throws(() => volumeBackup(xMoor).settings(), { message }, xMoor);
});
