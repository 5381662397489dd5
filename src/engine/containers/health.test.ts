import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import { MoorError } from "../../errors.ts";
import type { ContainerService, LifecycleEvent } from "./service.ts";
import type { ExecService } from "./exec.ts";
import { HealthMonitor } from "./health.ts";

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

test("a probe whose container is removed before its timeout: the timeout finds no session, kills nothing and throws nothing", async () => {
  let emit: (event: LifecycleEvent) => void = () => undefined;
  let removed = false;
  const gone = () => new MoorError("not_found", "No such container: c1");
  const containers = {
    onLifecycle: (listener: (event: LifecycleEvent) => void) => (emit = listener),
    inspect: () => {
      if (removed) throw gone();
      // A probe every 10 ms, killed after 40.
      return { config: { Healthcheck: { Test: ["CMD", "sleep", "10"], Interval: 10e6, Timeout: 40e6 } }, state: { status: "running", startedAt: new Date().toISOString() } };
    },
  } as unknown as ContainerService;
  let probeRunning: () => void = () => undefined;
  const running = new Promise<void>((resolve) => (probeRunning = resolve));
  const execs = {
    create: () => "probe1",
    start: async () => {
      probeRunning();
      // The probe's process went with its container; its end is never reported.
      return { output: new EventEmitter(), stdin: null, exited: new Promise<number>(() => undefined), detach: () => undefined };
    },
    inspect: () => {
      if (removed) throw new MoorError("not_found", "No such exec instance: probe1");
      return { running: true, pid: 0 };
    },
  } as unknown as ExecService;
  const monitor = new HealthMonitor(containers, execs, quiet);

  emit({ type: "start", id: "c1" });
  await running;
  removed = true;
  emit({ type: "remove", id: "c1" });
  // Past the probe's timeout. A throw from its timer would fail this test as an uncaught exception.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(monitor.state("c1"), undefined, "a removed container has no health");
  monitor.stop();
});
