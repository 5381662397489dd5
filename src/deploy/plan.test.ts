import assert from "node:assert/strict";
import { test } from "node:test";
import { dependencyOrder, planDeploy, planText, type DesiredService, type ObservedContainer } from "./plan.ts";

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
