import assert from "node:assert/strict";
import { test } from "node:test";
import { dependencyOrder, planChanges, planDeploy, planText, planVolumes, type DesiredService, type DesiredVolume, type ObservedContainer } from "./plan.ts";

const image = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

function service(name: string, overrides: Partial<DesiredService> = {}): DesiredService {
  return { name, configHash: `config-${name}`, imageId: image(1), dependsOn: [], ...overrides };
}

function running(serviceName: string, overrides: Partial<ObservedContainer> = {}): ObservedContainer {
  return { id: `c-${serviceName}`, service: serviceName, configHash: `config-${serviceName}`, imageId: image(1), running: true, ...overrides };
}

test("a new app: every service is created, dependencies first", () => {
  const plan = planDeploy([service("web", { dependsOn: ["db"] }), service("db")], []);
  assert.equal(planText(plan), "  create   db   new service\n  create   web  new service\n");
});

test("nothing changed: every service is kept", () => {
  const plan = planDeploy([service("db"), service("web")], [running("db"), running("web")]);
  assert.equal(planText(plan), "  keep     db   unchanged\n  keep     web  unchanged\n");
  assert.deepEqual(plan[0].containers, ["c-db"]);
});

test("a changed image or config replaces the service's container, saying why", () => {
  const plan = planDeploy(
    [service("db", { imageId: image(2) }), service("web", { configHash: "new" }), service("cache", { imageId: image(3), configHash: "new" })],
    [running("db"), running("web"), running("cache")],
  );
  assert.equal(
    planText(plan),
    "  replace  db     image changed (111111111111 → 222222222222)\n" +
      "  replace  web    config changed\n" +
      "  replace  cache  image changed (111111111111 → 333333333333), config changed\n",
  );
  assert.deepEqual(plan[0].containers, ["c-db"], "the container to stop and remove");
});

test("a stopped container or several containers for one service are replaced by one new container", () => {
  const plan = planDeploy([service("db"), service("web")], [running("db", { running: false }), running("web"), running("web", { id: "c-web-2" })]);
  assert.equal(planText(plan), "  replace  db   its container is not running\n  replace  web  2 containers run it, one is wanted\n");
  assert.deepEqual(plan[1].containers, ["c-web", "c-web-2"]);
});

test("a service no longer in the app file is removed, after the others", () => {
  const plan = planDeploy([service("web")], [running("worker"), running("web"), running("old", { running: false })]);
  assert.equal(planText(plan), "  keep     web     unchanged\n  remove   old     no longer in the app file\n  remove   worker  no longer in the app file\n");
});

test("dependency order: depth first, app file order between equals; cycles and unknown services are errors", () => {
  const order = dependencyOrder([service("web", { dependsOn: ["api", "cache"] }), service("api", { dependsOn: ["db"] }), service("db"), service("cache")]);
  assert.deepEqual(order.map((s) => s.name), ["db", "api", "cache", "web"]);
  assert.throws(() => dependencyOrder([service("a", { dependsOn: ["b"] }), service("b", { dependsOn: ["a"] })]), { message: "dependency cycle detected: a -> b -> a" });
  assert.throws(() => dependencyOrder([service("a", { dependsOn: ["nope"] })]), { message: 'service "a" depends on undefined service "nope": invalid compose project' });
});

test("an empty app file plans nothing", () => {
  assert.equal(planText(planDeploy([], [])), "Nothing to deploy: the app file has no services.\n");
});

test("a one-shot service that completed is kept; one that failed is run again", () => {
  const plan = planDeploy(
    [service("migrate", { completes: true }), service("seed", { completes: true })],
    [running("migrate", { running: false, exitedCleanly: true }), running("seed", { running: false, exitedCleanly: false })],
  );
  assert.equal(planText(plan), "  keep     migrate  unchanged\n  replace  seed     its container is not running\n");
});

test("volumes: created when missing, kept when they exist, kept with a warning when their settings diverged", () => {
  const desired: DesiredVolume[] = [
    { name: "shop_db", driver: "local", driverOpts: {}, external: false },
    { name: "shop_cache", driver: "local", driverOpts: { type: "tmpfs", device: "tmpfs" }, external: false },
    { name: "shop_new", driver: "local", driverOpts: {}, external: false },
  ];
  const observed = new Map([
    ["shop_db", { name: "shop_db", driver: "local", options: {} }],
    ["shop_cache", { name: "shop_cache", driver: "local", options: {} }],
  ]);
  const volumes = planVolumes(desired, observed);
  assert.deepEqual(volumes.map((volume) => volume.kind), ["keep", "diverged", "create"]);
  assert.equal(
    planText([{ service: "web", kind: "keep", reason: "unchanged", containers: ["c"] }], volumes),
    "  keep     volume shop_db     exists\n" +
      "  diverged volume shop_cache  exists with options {}, the app file says {device=tmpfs,type=tmpfs}; kept as it is with its data (to apply the new settings, back it up and recreate it)\n" +
      "  create   volume shop_new    new volume\n" +
      "  keep     web                unchanged\n",
  );
  assert.equal(planChanges([{ service: "web", kind: "keep", reason: "unchanged", containers: ["c"] }], volumes), true, "a volume to create is a change");
  assert.equal(planChanges([{ service: "web", kind: "keep", reason: "unchanged", containers: ["c"] }], volumes.slice(0, 2)), false, "a diverged volume is left alone");
});

test("a missing external volume is reported, with what to do", () => {
  const [volume] = planVolumes([{ name: "legacy", driver: "local", driverOpts: {}, external: true }], new Map());
  assert.equal(volume.kind, "missing");
  assert.equal(volume.reason, 'external volume "legacy" not found: create it first (moor volume create legacy)');
});
