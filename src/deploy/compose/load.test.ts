// The whole loader on real files in a temporary directory: no engine involved.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { MoorError } from "../../errors.ts";
import { composeServiceLabels } from "./labels.ts";
import { ComposeSchemaError, loadProject, type LoadOptions } from "./load.ts";

const root = mkdtempSync(join(tmpdir(), "moor-compose-"));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

/** A fresh project directory (named `name`) holding `files`. */
function project(files: Record<string, string>, name = `app${++counter}`): string {
  const dir = join(root, `${++counter}`, name);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
  return dir;
}

function load(dir: string, options: Partial<LoadOptions> = {}) {
  return loadProject({ workingDir: dir, env: { HOME: "/home/me" }, ...options });
}

function loadError(dir: string, options: Partial<LoadOptions> = {}): MoorError {
  try {
    load(dir, options);
  } catch (error) {
    assert.ok(error instanceof MoorError, String(error));
    return error;
  }
  assert.fail("the project loaded");
}

test("a project loads from compose.yaml in the working directory, named after it", () => {
  const dir = project({ "compose.yaml": "services:\n  web:\n    image: nginx\n" }, "My App.v2");
  const loaded = load(dir);
  assert.equal(loaded.name, "myappv2");
  assert.equal(loaded.workingDir, dir);
  assert.deepEqual(loaded.composeFiles, [join(dir, "compose.yaml")]);
  assert.deepEqual(Object.keys(loaded.services), ["web"]);
  assert.equal(loaded.services.web.image, "nginx");
  assert.deepEqual(loaded.unsupported, []);
});

test("the compose file is found in a parent directory, with its override file", () => {
  const dir = project({
    "compose.yaml": "services:\n  web:\n    image: nginx\n    command: [a]\n",
    "compose.override.yml": "services:\n  web:\n    command: [b]\n",
    "sub/dir/.keep": "",
  });
  const loaded = load(join(dir, "sub", "dir"));
  assert.deepEqual(loaded.composeFiles, [join(dir, "compose.yaml"), join(dir, "compose.override.yml")]);
  assert.deepEqual(loaded.services.web.command, ["b"]);
  assert.equal(loaded.workingDir, dir);
  assert.equal(loadError(join(root)).message.includes("no configuration file provided: not found"), true);
});

test("project name: -p, then COMPOSE_PROJECT_NAME, then name:, then the directory", () => {
  const dir = project({ "compose.yaml": "name: ${PREFIX:-Demo}_Stack\nservices:\n  web:\n    image: nginx\n", ".env": "PREFIX=From-Dotenv\n" });
  assert.equal(load(dir).name, "from-dotenv_stack");
  assert.equal(load(dir, { env: { PREFIX: "Env" } }).name, "env_stack");
  assert.equal(load(dir, { env: { COMPOSE_PROJECT_NAME: "fromenv" } }).name, "fromenv");
  assert.equal(load(dir, { projectName: "cli", env: { COMPOSE_PROJECT_NAME: "fromenv" } }).name, "cli");
  assert.equal(
    loadError(dir, { projectName: "Bad Name" }).message,
    'invalid project name "Bad Name": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number',
  );
  assert.equal(loadError(dir, { env: { COMPOSE_PROJECT_NAME: "_x" } }).message.startsWith('invalid project name "_x"'), true);
  const unnamed = project({ "compose.yaml": "name: ${EMPTY}\nservices:\n  web:\n    image: nginx\n" });
  assert.equal(loadError(unnamed).message, "project name must not be empty");
  // The project name is available to interpolation.
  const self = project({ "compose.yaml": "services:\n  web:\n    image: nginx\n    labels:\n      - project=${COMPOSE_PROJECT_NAME}\n" }, "selfref");
  assert.equal(load(self).services.web.labels.project, "selfref");
});

test(".env and --env-file feed interpolation; the process environment wins", () => {
  const dir = project({
    "compose.yaml": "services:\n  web:\n    image: ${IMAGE}:${TAG:-latest}\n    environment:\n      GREETING: ${GREETING}\n",
    ".env": "# defaults\nexport IMAGE=nginx\nTAG='1.25'\nGREETING=\"hello ${IMAGE}\"\n",
    "other.env": "IMAGE=caddy\n",
  });
  assert.equal(load(dir).services.web.image, "nginx:1.25");
  assert.equal(load(dir).services.web.environment.GREETING, "hello nginx");
  assert.equal(load(dir, { env: { TAG: "2" } }).services.web.image, "nginx:2");
  assert.equal(load(dir, { envFiles: ["other.env"] }).services.web.image, "caddy:latest");
});

test("missing --env-file and broken .env are reported", () => {
  const dir = project({ "compose.yaml": "services:\n  web:\n    image: nginx\n", ".env": "A='unterminated\n" });
  assert.equal(loadError(dir).message, `failed to read ${join(dir, ".env")}: line 2: unterminated quoted value 'unterminated`);
  assert.equal(loadError(dir, { envFiles: ["nope.env"] }).message, `couldn't find env file: ${join(dir, "nope.env")}`);
  assert.equal(load(dir, { env: { COMPOSE_DISABLE_ENV_FILE: "true" } }).services.web.image, "nginx");
});

test("interpolation errors stop the load with compose's text", () => {
  const dir = project({ "compose.yaml": "services:\n  web:\n    image: ${IMAGE:?set IMAGE first}\n" });
  assert.equal(loadError(dir).message, "error while interpolating services.web.image: required variable IMAGE is missing a value: set IMAGE first");
  const escaped = project({ "compose.yaml": "services:\n  web:\n    image: nginx\n    command: echo $$HOME\n" });
  assert.deepEqual(load(escaped).services.web.command, ["echo", "$HOME"]);
});

test("schema violations name the file, the path and the problem as compose does", () => {
  const cases: Array<[yaml: string, path: string, problem: string]> = [
    ["services:\n  web:\n    image: nginx\n    foo: 1\n", "services.web", "services.web additional properties 'foo' not allowed"],
    ["services:\n  web:\n    image: 1.5\n", "services.web.image", "services.web.image must be a string"],
    ["services:\n  web:\n    image: x\n    ports: [[80]]\n", "services.web.ports.0", "services.web.ports.0 must be a number"],
    ["services:\n  web:\n    image: x\n    environment: FOO\n", "services.web.environment", "services.web.environment must be a mapping"],
    ["services:\n  web:\n    image: x\n    environment: {FOO: [1]}\n", "services.web.environment.FOO", "services.web.environment.FOO must be a boolean, null, number or string"],
    ["services:\n  web:\n    image: x\n    volumes: [{type: tmpfs, target: /t, tmpfs: {size: -1}}]\n", "services.web.volumes.0.tmpfs.size", "services.web.volumes.0.tmpfs.size must be greater than or equal to 0"],
    ["services:\n  web:\n    image: x\n    depends_on: {db: {required: true}}\n  db:\n    image: y\n", "services.web.depends_on.db", "services.web.depends_on.db missing property 'condition'"],
    ["services:\n  web:\n    image: x\n    depends_on: {db: {condition: started}}\n  db:\n    image: y\n", "services.web.depends_on.db.condition", "services.web.depends_on.db.condition value must be one of 'service_started', 'service_healthy', 'service_completed_successfully'"],
    ["helicopters: {}\nservices: {}\n", "", " additional properties 'helicopters' not allowed"],
    ["services:\n  web:\n    image: x\n    bar: 1\n    foo: 2\n", "services.web", "services.web additional properties 'bar', 'foo' not allowed"],
  ];
  for (const [yaml, path, problem] of cases) {
    const dir = project({ "compose.yaml": yaml });
    const error = loadError(dir);
    assert.ok(error instanceof ComposeSchemaError, `${yaml}: ${error.message}`);
    assert.equal(error.path, path, yaml);
    assert.equal(error.problem, problem, yaml);
    assert.equal(error.file, join(dir, "compose.yaml"));
    assert.equal(error.message, `validating ${join(dir, "compose.yaml")}: ${problem}`);
  }
  // With several files, the error names the file whose merge made the project invalid.
  const dir = project({ "a.yaml": "services:\n  web:\n    image: x\n", "b.yaml": "services:\n  web:\n    privileged: 3\n" });
  const error = loadError(dir, { files: ["a.yaml", "b.yaml"] });
  assert.equal(error.message, `validating ${join(dir, "b.yaml")}: services.web.privileged must be a boolean or string`);
});

test("YAML problems: syntax, duplicate keys, non-string keys, top level", () => {
  const duplicate = project({ "compose.yaml": "services:\n  web:\n    image: a\n    image: b\n" });
  assert.equal(loadError(duplicate).message, `failed to parse ${join(duplicate, "compose.yaml")}: line 4: mapping key "image" already defined at line 3`);
  const numericKey = project({ "compose.yaml": "services:\n  web:\n    image: a\n    labels:\n      1: one\n" });
  assert.equal(loadError(numericKey).message, "non-string key in services.web.labels: 1");
  const list = project({ "compose.yaml": "- a\n- b\n" });
  assert.equal(loadError(list).message, "top-level object must be a mapping");
  const broken = project({ "compose.yaml": "services:\n  web: [\n" });
  assert.match(loadError(broken).message, new RegExp(`^failed to parse ${join(broken, "compose.yaml")}: `));
  const empty = project({ "compose.yaml": "# nothing\n" });
  assert.equal(loadError(empty).message, "empty compose file");
});

test("several files merge; !reset and !override drop or replace earlier values", () => {
  const dir = project({
    "compose.yaml": "services:\n  web:\n    image: nginx\n    ports: ['8080:80']\n    environment: {A: '1', B: '2'}\n    volumes: [data:/data]\n    command: [a, b]\nvolumes:\n  data: {}\n",
    "prod.yaml": "services:\n  web:\n    image: nginx:prod\n    ports: !reset []\n    environment: !override {C: '3'}\n    volumes: ['./local:/data']\n    command: serve --port 80\n",
  });
  const web = load(dir, { files: ["compose.yaml", "prod.yaml"] }).services.web;
  assert.equal(web.image, "nginx:prod");
  assert.deepEqual(web.ports, []);
  assert.deepEqual(web.environment, { C: "3" });
  assert.deepEqual(web.command, ["serve", "--port", "80"]);
  assert.deepEqual(web.volumes, [{ type: "bind", source: join(dir, "local"), target: "/data", readOnly: false, createHostPath: true, propagation: null }]);
});

test("profiles: services with profiles run only when one is enabled or they are named", () => {
  const dir = project({
    "compose.yaml": "services:\n  web:\n    image: nginx\n  debug:\n    image: busybox\n    profiles: [debug]\n  tools:\n    image: alpine\n    profiles: [tools, debug]\n",
  });
  assert.deepEqual(Object.keys(load(dir).services), ["web"]);
  assert.deepEqual(Object.keys(load(dir).disabledServices).sort(), ["debug", "tools"]);
  assert.deepEqual(Object.keys(load(dir, { profiles: ["debug"] }).services), ["web", "debug", "tools"]);
  assert.deepEqual(Object.keys(load(dir, { env: { COMPOSE_PROFILES: "tools" } }).services), ["web", "tools"]);
  assert.deepEqual(Object.keys(load(dir, { profiles: ["*"] }).services), ["web", "debug", "tools"]);
  const named = load(dir, { services: ["tools"] });
  assert.deepEqual(Object.keys(named.services), ["web", "debug", "tools"]);
  assert.deepEqual(named.profiles, ["", "tools", "debug"]);
  assert.equal(loadError(dir, { services: ["nope"] }).message, "no such service: nope");
  // A required dependency on a disabled service is an error; an optional one is not.
  const dependent = project({ "compose.yaml": "services:\n  web:\n    image: nginx\n    depends_on: [db]\n  db:\n    image: postgres\n    profiles: [db]\n" });
  assert.equal(loadError(dependent).message, 'service "web" depends on undefined service "db": invalid compose project');
  assert.deepEqual(Object.keys(load(dependent, { profiles: ["db"] }).services), ["web", "db"]);
});

test("environment: mapping and list forms, bare keys, env_file precedence", () => {
  const dir = project({
    "compose.yaml": [
      "services:",
      "  list:",
      "    image: x",
      "    environment: [A=1, 'B=', FROM_ENV, UNSET, 'C=x=y']",
      "  map:",
      "    image: x",
      "    environment: {A: 1, B: true, C: null, FROM_ENV: null, D: ''}",
      "  files:",
      "    image: x",
      "    env_file: [one.env, {path: optional.env, required: false}]",
      "    environment:",
      "      OVERRIDDEN: declared",
      "      REF: ${FROM_ENV}",
      "",
    ].join("\n"),
    "one.env": "OVERRIDDEN=from-file\nFILE_ONLY=${REF}-${FROM_ENV}\n",
  });
  const services = load(dir, { env: { HOME: "/h", FROM_ENV: "env" } }).services;
  assert.deepEqual(services.list.environment, { A: "1", B: "", FROM_ENV: "env", UNSET: null, C: "x=y" });
  assert.deepEqual(services.map.environment, { A: "1", B: "true", C: null, FROM_ENV: "env", D: "" });
  assert.deepEqual(services.files.environment, { OVERRIDDEN: "declared", FILE_ONLY: "env-env", REF: "env" });
  assert.deepEqual(services.files.envFiles, [
    { path: join(dir, "one.env"), required: true, format: "" },
    { path: join(dir, "optional.env"), required: false, format: "" },
  ]);
  const missing = project({ "compose.yaml": "services:\n  web:\n    image: x\n    env_file: nope.env\n" });
  assert.equal(loadError(missing).message, `env file ${join(missing, "nope.env")} not found: stat ${join(missing, "nope.env")}: no such file or directory`);
  const spaced = project({ "compose.yaml": "services:\n  web:\n    image: x\n    environment: ['A =1']\n" });
  assert.equal(loadError(spaced).message, "environment variable A  is declared with a trailing space");
});

test("command and entrypoint: shell form split, list kept, empty string clears", () => {
  const dir = project({
    "compose.yaml": "services:\n  a:\n    image: x\n    command: sh -c 'echo \"hi there\"'\n    entrypoint: ['/bin/tini', '--']\n  b:\n    image: x\n    command: ''\n    entrypoint: []\n  c:\n    image: x\n",
  });
  const services = load(dir).services;
  assert.deepEqual(services.a.command, ["sh", "-c", 'echo "hi there"']);
  assert.deepEqual(services.a.entrypoint, ["/bin/tini", "--"]);
  assert.deepEqual(services.b.command, []);
  assert.deepEqual(services.b.entrypoint, []);
  assert.equal(services.c.command, null);
  assert.equal(services.c.entrypoint, null);
});

test("healthcheck: string test is CMD-SHELL, durations in nanoseconds, disable", () => {
  const dir = project({
    "compose.yaml": [
      "services:",
      "  a:",
      "    image: x",
      "    healthcheck: {test: curl -f http://localhost, interval: 1m30s, timeout: 500ms, retries: 3, start_period: 1d, start_interval: 2s}",
      "  b:",
      "    image: x",
      "    healthcheck: {test: [CMD, pg_isready], retries: '${RETRIES:-5}'}",
      "  c:",
      "    image: x",
      "    healthcheck: {disable: true}",
      "  d:",
      "    image: x",
      "    stop_grace_period: 1m",
      "",
    ].join("\n"),
  });
  const services = load(dir).services;
  assert.deepEqual(services.a.healthcheck, { test: ["CMD-SHELL", "curl -f http://localhost"], interval: 90e9, timeout: 500e6, retries: 3, startPeriod: 86400e9, startInterval: 2e9, disable: false });
  assert.deepEqual(services.b.healthcheck?.test, ["CMD", "pg_isready"]);
  assert.equal(services.b.healthcheck?.retries, 5);
  assert.deepEqual(services.c.healthcheck, { test: null, interval: null, timeout: null, startPeriod: null, startInterval: null, retries: null, disable: true });
  assert.equal(services.d.stopGracePeriod, 60e9);
  const bad = project({ "compose.yaml": "services:\n  a:\n    image: x\n    healthcheck: {test: [curl, x]}\n" });
  assert.equal(loadError(bad).message, 'healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"');
  const badDuration = project({ "compose.yaml": "services:\n  a:\n    image: x\n    healthcheck: {test: [NONE], interval: '30'}\n" });
  assert.equal(loadError(badDuration).message, 'time: missing unit in duration "30"');
  const numberDuration = project({ "compose.yaml": "services:\n  a:\n    image: x\n    healthcheck: {test: [NONE], interval: 30}\n" });
  assert.equal(loadError(numberDuration).message, `validating ${join(numberDuration, "compose.yaml")}: services.a.healthcheck.interval must be a string`);
});

test("volumes: short and long syntax, paths resolved, engine names", () => {
  const dir = project({
    "compose.yaml": [
      "services:",
      "  db:",
      "    image: mariadb",
      "    volumes:",
      "      - data:/var/lib/mysql",
      "      - ./conf:/etc/mysql/conf.d:ro",
      "      - ~/backups:/backups",
      "      - /var/log/app/",
      "      - type: bind",
      "        source: ../shared",
      "        target: /shared",
      "        bind: {create_host_path: false, propagation: rshared}",
      "      - type: volume",
      "        source: cache",
      "        target: /cache",
      "        read_only: true",
      "        volume: {nocopy: true, subpath: sub}",
      "      - type: tmpfs",
      "        target: /run",
      "        tmpfs: {size: 64m, mode: 01777}",
      "    tmpfs: /tmp:size=1m",
      "    volumes_from: [other:ro]",
      "  other:",
      "    image: x",
      "volumes:",
      "  data: {}",
      "  cache: {name: shared-cache, driver: local, driver_opts: {type: none, o: bind, device: ./cache-dir}, labels: [team=db]}",
      "  old: {external: true}",
      "",
    ].join("\n"),
  });
  const loaded = load(dir);
  const db = loaded.services.db;
  assert.deepEqual(db.volumes, [
    { type: "volume", source: "data", target: "/var/lib/mysql", readOnly: false, nocopy: false, subpath: null },
    { type: "bind", source: join(dir, "conf"), target: "/etc/mysql/conf.d", readOnly: true, createHostPath: true, propagation: null },
    { type: "bind", source: "/home/me/backups", target: "/backups", readOnly: false, createHostPath: true, propagation: null },
    { type: "volume", source: null, target: "/var/log/app", readOnly: false, nocopy: false, subpath: null },
    { type: "bind", source: join(dirname(dir), "shared"), target: "/shared", readOnly: false, createHostPath: false, propagation: "rshared" },
    { type: "volume", source: "cache", target: "/cache", readOnly: true, nocopy: true, subpath: "sub" },
    { type: "tmpfs", target: "/run", readOnly: false, size: 64 * 1024 * 1024, mode: 0o1777 },
  ]);
  assert.deepEqual(db.tmpfs, ["/tmp:size=1m"]);
  assert.deepEqual(db.volumesFrom, ["other:ro"]);
  // volumes_from makes an implicit dependency, as in compose.
  assert.deepEqual(db.dependsOn, { other: { condition: "service_started", required: true, restart: false } });
  assert.deepEqual(loaded.volumes, {
    data: { name: `${loaded.name}_data`, driver: null, driverOpts: {}, labels: {}, external: false, xMoor: undefined },
    cache: { name: "shared-cache", driver: "local", driverOpts: { type: "none", o: "bind", device: join(dir, "cache-dir") }, labels: { team: "db" }, external: false, xMoor: undefined },
    old: { name: "old", driver: null, driverOpts: {}, labels: {}, external: true, xMoor: undefined },
  });
  const undefinedVolume = project({ "compose.yaml": "services:\n  web:\n    image: x\n    volumes: [nope:/data]\n" });
  assert.equal(loadError(undefinedVolume).message, 'service "web" refers to undefined volume nope: invalid compose project');
  const twice = project({ "compose.yaml": "services:\n  web:\n    image: x\n    tmpfs: [/data]\n    volumes: ['./d:/data']\n" });
  assert.equal(loadError(twice).message, "services.web.volumes[0]: target /data already mounted as services.web.tmpfs[0]");
  const externalConflict = project({ "compose.yaml": "services:\n  web:\n    image: x\nvolumes:\n  v: {external: true, driver: local}\n" });
  assert.equal(loadError(externalConflict).message, 'volumes.v: conflicting parameters "external" and "driver" specified');
});

test("ports are parsed and kept; depends_on long form; dependency cycles refused", () => {
  const dir = project({
    "compose.yaml": [
      "services:",
      "  web:",
      "    image: x",
      "    ports: ['8080:80', {target: 443, published: 8443, host_ip: 127.0.0.1}, '9000-9001:9000-9001/udp']",
      "    depends_on:",
      "      db: {condition: service_healthy, restart: true}",
      "      migrate: {condition: service_completed_successfully, required: false}",
      "  db:",
      "    image: y",
      "  migrate:",
      "    image: y",
      "    profiles: [tools]",
      "",
    ].join("\n"),
  });
  const web = load(dir).services.web;
  assert.deepEqual(
    web.ports.map((port) => [port.hostIp, port.published, port.target, port.protocol]),
    [
      [null, "8080", 80, "tcp"],
      ["127.0.0.1", "8443", 443, "tcp"],
      [null, "9000", 9000, "udp"],
      [null, "9001", 9001, "udp"],
    ],
  );
  assert.deepEqual(web.dependsOn, {
    db: { condition: "service_healthy", required: true, restart: true },
    migrate: { condition: "service_completed_successfully", required: false, restart: false },
  });
  // An optional dependency may be disabled, not unknown (compose-go's checkConsistency).
  const unknown = project({ "compose.yaml": "services:\n  a:\n    image: x\n    depends_on: {b: {condition: service_started, required: false}}\n" });
  assert.equal(loadError(unknown).message, 'service "a" depends on undefined service "b": invalid compose project');
  const cycle = project({ "compose.yaml": "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n" });
  assert.equal(loadError(cycle).message, "dependency cycle detected: a -> b -> a");
  const noNetwork = project({ "compose.yaml": "services:\n  a:\n    image: x\n    networks: [back]\n" });
  assert.equal(loadError(noNetwork).message, 'service "a" refers to undefined network back: invalid compose project');
  const noImage = project({ "compose.yaml": "services:\n  a:\n    restart: always\n" });
  assert.equal(loadError(noImage).message, 'service "a" has neither an image nor a build context specified: invalid compose project');
  const badPort = project({ "compose.yaml": "services:\n  a:\n    image: x\n    ports: ['80/xyz']\n" });
  assert.equal(loadError(badPort).message, "Invalid proto: xyz");
});

test("keys moor does not support are reported, never dropped silently", () => {
  const dir = project({
    "compose.yaml": [
      "services:",
      "  web:",
      "    image: x",
      "    build: {context: ., cache_from: [a]}",
      "    deploy: {replicas: 2}",
      "    cap_add: [NET_ADMIN]",
      "    networks: [front]",
      "    volumes:",
      "      - ./a:/a:z",
      "      - {type: npipe, source: x, target: /x}",
      "    x-moor: {order: start-first}",
      "    x-other: ignored",
      "  off:",
      "    image: x",
      "    profiles: [never]",
      "    privileged: true",
      "networks:",
      "  front: {}",
      "secrets:",
      "  token: {file: ./token}",
      "volumes:",
      "  v: {driver: local, x-note: mine}",
      "x-anchors: {}",
      "",
    ].join("\n"),
  });
  const loaded = load(dir);
  assert.deepEqual(loaded.unsupported, [
    { path: "secrets", message: "key `secrets` is not supported by moor and would be ignored" },
    { path: "networks.front", message: "key `networks.front` is not supported by moor and would be ignored" },
    { path: "services.web.deploy", message: "service web: key `deploy` is not supported by moor and would be ignored" },
    { path: "services.web.cap_add", message: "service web: key `cap_add` is not supported by moor and would be ignored" },
    { path: "services.web.networks", message: "service web: key `networks` is not supported by moor and would be ignored" },
    { path: "services.web.build.cache_from", message: "service web: key `build.cache_from` is not supported by moor and would be ignored" },
    { path: "services.web.volumes[0].bind.selinux", message: "service web: key `volumes[0].bind.selinux` is not supported by moor and would be ignored" },
    { path: "services.web.volumes[1].type", message: "service web: key `volumes[1].type: npipe` is not supported by moor and would be ignored" },
  ]);
  assert.deepEqual(loaded.services.web.xMoor, { order: "start-first" });
});

test("obsolete version is a warning; unset variables are warned about", () => {
  const dir = project({ "compose.yaml": "version: '3.8'\nservices:\n  web:\n    image: nginx:${TAG}\n" });
  const loaded = load(dir);
  assert.equal(loaded.services.web.image, "nginx:");
  assert.deepEqual(loaded.warnings, [
    'The "TAG" variable is not set. Defaulting to a blank string.',
    `${join(dir, "compose.yaml")}: the attribute \`version\` is obsolete, it will be ignored, please remove it to avoid potential confusion`,
  ]);
});

test("compose labels and a config hash that follows the configuration", () => {
  const dir = project({ "compose.yaml": "services:\n  web:\n    image: nginx\n    labels: {team: web}\n    depends_on: [db]\n  db:\n    image: postgres\n" }, "shop");
  const loaded = load(dir);
  const labels = composeServiceLabels(loaded, loaded.services.web);
  assert.equal(labels["com.docker.compose.project"], "shop");
  assert.equal(labels["com.docker.compose.service"], "web");
  assert.equal(labels["com.docker.compose.oneoff"], "False");
  assert.equal(labels["com.docker.compose.project.config_files"], join(dir, "compose.yaml"));
  assert.equal(labels["com.docker.compose.depends_on"], "db:service_started:false");
  assert.equal(labels.team, "web");
  assert.match(labels["com.docker.compose.config-hash"], /^[0-9a-f]{64}$/);
  // Same configuration, same hash; depends_on and profiles are not part of it, as in compose.
  const same = project({ "compose.yaml": "services:\n  web:\n    image: nginx\n    labels: [team=web]\n    profiles: [p]\n  db:\n    image: postgres\n" }, "shop");
  assert.equal(load(same, { profiles: ["p"] }).services.web.configHash, loaded.services.web.configHash);
  const changed = project({ "compose.yaml": "services:\n  web:\n    image: nginx\n    labels: {team: ops}\n" }, "shop");
  assert.notEqual(load(changed).services.web.configHash, loaded.services.web.configHash);
  // The hash of compose's JSON for {image: nginx} with the implicit default network.
  const minimal = project({ "compose.yaml": "services:\n  web:\n    image: nginx\n" });
  const expected = createHashHex('{"command":null,"entrypoint":null,"image":"nginx","networks":{"default":null}}');
  assert.equal(load(minimal).services.web.configHash, expected);
});

function createHashHex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
