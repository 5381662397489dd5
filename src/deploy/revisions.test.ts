import assert from "node:assert/strict";
import { test } from "node:test";
import { levels } from "./deployer.ts";
import { gateFor } from "./gate.ts";
import { liveName, manifestLabel, parseManifest, recordRequest, retiredName, snapshotName, type Manifest } from "./revisions.ts";

const manifest: Manifest = {
  revision: 3,
  created: "2026-11-28T12:00:00.000Z",
  cause: "up",
  services: {
    db: { container: "c1", image: "mariadb-example", imageId: "sha256:1", configHash: "h", dependsOn: [], completes: false, change: "config changed", layerDigest: "l", updatableDigest: "u" },
  },
  removed: [],
  snapshots: { shop_data: "shop_data.rev3-snapshot" },
};

test("a revision's record is a never-started container whose labels hold the manifest; the image's VOLUMEs get no volume", () => {
  const request = recordRequest("shop", manifest, "sha256:1", ["/var/lib/mysql"]);
  assert.equal(request.name, "shop-revision-3");
  const labels = request.body.Labels as Record<string, string>;
  assert.equal(labels["org.moor.deploy.project"], "shop");
  assert.equal(labels["org.moor.deploy.revision"], "3");
  assert.deepEqual(parseManifest(labels[manifestLabel]), manifest);
  assert.deepEqual((request.body.HostConfig as { Mounts: unknown[] }).Mounts, [{ Type: "tmpfs", Target: "/var/lib/mysql" }]);
});

test("a record label edited by hand is no manifest", () => {
  assert.equal(parseManifest(undefined), undefined);
  assert.equal(parseManifest("{not json"), undefined);
  assert.equal(parseManifest('{"revision":"3","services":{}}'), undefined);
  assert.equal(parseManifest('{"revision":3,"services":null}'), undefined);
});

test("names: compose's live name, retired and snapshot names that say their revision", () => {
  assert.equal(liveName("shop", "db"), "shop-db-1");
  assert.equal(retiredName("shop", "db", 2), "shop-db-rev2");
  assert.equal(snapshotName("shop_data", 4), "shop_data.rev4-snapshot");
  assert.equal(snapshotName("shop_data", 4, 2), "shop_data.rev4-snapshot-2");
});

test("services are swapped in dependency levels: each level only after the ones it depends on", () => {
  const service = (name: string, dependsOn: string[] = []) => ({ name, configHash: "", imageId: "", dependsOn });
  assert.deepEqual(levels([service("web", ["api", "cache"]), service("api", ["db"]), service("db"), service("cache"), service("worker", ["db"])]), [["db", "cache"], ["api", "worker"], ["web"]]);
});

test("the gate: a healthcheck (the image's too) is waited for; without one, a settle time; a one-shot service must complete", () => {
  const settings = { settle: 1000, healthTimeout: 60_000 };
  const withCheck = { Config: { Healthcheck: { Test: ["CMD", "true"] } } };
  assert.deepEqual(gateFor(withCheck, settings, false), { kind: "health", timeout: 60_000 });
  assert.deepEqual(gateFor({ Config: { Healthcheck: { Test: ["NONE"] } } }, settings, false), { kind: "settle", duration: 1000 });
  assert.deepEqual(gateFor({ Config: {} }, settings, false), { kind: "settle", duration: 1000 });
  assert.deepEqual(gateFor(withCheck, settings, true), { kind: "completion", timeout: 60_000 });
});
