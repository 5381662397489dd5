import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadProject } from "./compose/load.ts";
import { createRequest, desiredService } from "./desired.ts";

function project(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), "moor-desired-"));
  try {
    writeFileSync(join(dir, "compose.yaml"), yaml);
    return loadProject({ workingDir: dir, projectName: "shop", env: {} });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const imageId = `sha256:${"a".repeat(64)}`;

test("a service becomes compose's create request: name, pinned image, labels, env, mounts, policies", () => {
  const loaded = project(`
services:
  db:
    image: mariadb-example:1
    command: ["mariadbd", "--port=3307"]
    environment:
      MARIADB_PORT: "3307"
      EMPTY:
    volumes:
      - dbdata:/var/lib/mysql
      - /srv/conf:/etc/mysql/conf.d:ro
      - type: tmpfs
        target: /run/mysqld
        tmpfs: { size: 1048576 }
    tmpfs: ["/tmp:size=64m"]
    read_only: true
    restart: on-failure:3
    stop_grace_period: 30s
    stop_signal: SIGQUIT
    healthcheck:
      test: ["CMD", "mariadb-admin", "ping"]
      interval: 5s
      retries: 10
    ports: ["127.0.0.1:3307:3307"]
volumes:
  dbdata: {}
`);
  const service = loaded.services.db;
  const request = createRequest(loaded, service, imageId);
  assert.equal(request.name, "shop-db-1");
  const body = request.body;
  assert.equal(body.Image, imageId, "the image is pinned by ID");
  assert.deepEqual(body.Cmd, ["mariadbd", "--port=3307"]);
  assert.deepEqual(body.Env, ["MARIADB_PORT=3307", "EMPTY"]);
  assert.equal(body.Labels["com.docker.compose.project"], "shop");
  assert.equal(body.Labels["com.docker.compose.service"], "db");
  assert.equal(body.Labels["com.docker.compose.config-hash"], service.configHash);
  assert.equal(body.StopSignal, "SIGQUIT");
  assert.equal(body.StopTimeout, 30);
  assert.deepEqual(body.Healthcheck, { Test: ["CMD", "mariadb-admin", "ping"], Interval: 5e9, Retries: 10 });
  assert.deepEqual(body.ExposedPorts, { "3307/tcp": {} });
  assert.deepEqual(body.HostConfig.PortBindings, { "3307/tcp": [{ HostIp: "127.0.0.1", HostPort: "3307" }] });
  assert.deepEqual(body.HostConfig.Mounts, [
    { Type: "volume", Source: "shop_dbdata", Target: "/var/lib/mysql", ReadOnly: false },
    { Type: "tmpfs", Target: "/run/mysqld", ReadOnly: false, TmpfsOptions: { SizeBytes: 1048576 } },
  ]);
  assert.deepEqual(body.HostConfig.Binds, ["/srv/conf:/etc/mysql/conf.d:ro"], "short-syntax binds create a missing host directory");
  assert.deepEqual(body.HostConfig.Tmpfs, { "/tmp": "size=64m" });
  assert.equal(body.HostConfig.ReadonlyRootfs, true);
  assert.deepEqual(body.HostConfig.RestartPolicy, { Name: "on-failure", MaximumRetryCount: 3 });
});

test("unset keys stay unset so the image's apply; a disabled healthcheck is NONE; the plan sees hash, image and dependencies", () => {
  const loaded = project(`
services:
  web:
    image: web:1
    depends_on: [db]
    healthcheck: { disable: true }
  db:
    image: db:1
`);
  const body = createRequest(loaded, loaded.services.web, imageId).body as Record<string, unknown>;
  for (const key of ["Cmd", "Entrypoint", "User", "WorkingDir", "StopSignal", "ExposedPorts"]) assert.equal(key in body, false, key);
  assert.deepEqual(body.Healthcheck, { Test: ["NONE"] });
  assert.deepEqual(createRequest(loaded, loaded.services.db, imageId).body.HostConfig.RestartPolicy, { Name: "no" });
  assert.deepEqual(desiredService(loaded.services.web, imageId), { name: "web", configHash: loaded.services.web.configHash, imageId, dependsOn: ["db"] });
});

test("hostname is the container's and part of the config hash", () => {
  const named = project("services:\n  db:\n    image: busybox\n    hostname: shopdb\n");
  const plain = project("services:\n  db:\n    image: busybox\n");
  assert.equal(createRequest(named, named.services.db, imageId).body.Hostname, "shopdb");
  assert.equal(createRequest(plain, plain.services.db, imageId).body.Hostname, undefined, "the engine's default: the container ID");
  assert.notEqual(named.services.db.configHash, plain.services.db.configHash);
  assert.deepEqual(named.unsupported, []);
});

test("network_mode service: and volumes_from name the other service's container, and make it a dependency", () => {
  const loaded = project(`
services:
  db:
    image: busybox
  backup:
    image: busybox
    network_mode: service:db
    volumes_from: [db:ro, "container:legacy"]
    depends_on: [cache]
  cache:
    image: busybox
`);
  const host = createRequest(loaded, loaded.services.backup, imageId).body.HostConfig;
  assert.equal(host.NetworkMode, "container:shop-db-1");
  assert.deepEqual(host.VolumesFrom, ["shop-db-1:ro", "legacy"]);
  assert.deepEqual(desiredService(loaded.services.backup, imageId).dependsOn, ["cache", "db"]);
});
