import assert from "node:assert/strict";
import { test } from "node:test";
import { emptyContainerConfig } from "../images/image-config.ts";
import { createWarnings, mergeConfig, mergeHealthcheck, validateHealthcheck } from "./config.ts";

const imageHealth = { Test: ["CMD-SHELL", "cat /etc/passwd"], Interval: 30_000_000_000, Retries: 3 };

test("the healthcheck: the request's over the image's, field by field, as dockerd merges them", () => {
  assert.equal(mergeHealthcheck(null, null), null);
  assert.deepEqual(mergeHealthcheck(null, imageHealth), imageHealth);
  assert.deepEqual(mergeHealthcheck({ Test: ["CMD-SHELL", "true"], Interval: 5_000_000_000 }, null), { Test: ["CMD-SHELL", "true"], Interval: 5_000_000_000 });
  // docker create --health-interval 5s --health-timeout 1s on an image with a HEALTHCHECK.
  assert.deepEqual(mergeHealthcheck({ Interval: 5_000_000_000, Timeout: 1_000_000_000 }, imageHealth), {
    Test: ["CMD-SHELL", "cat /etc/passwd"],
    Interval: 5_000_000_000,
    Timeout: 1_000_000_000,
    Retries: 3,
  });
  // --no-healthcheck keeps the image's other fields (what dockerd shows).
  assert.deepEqual(mergeHealthcheck({ Test: ["NONE"] }, imageHealth), { Test: ["NONE"], Interval: 30_000_000_000, Retries: 3 });
  // Zero fields are left out, as Go's omitempty does.
  assert.deepEqual(mergeHealthcheck({ Test: ["NONE"], Interval: 0, Retries: 0, StartPeriod: 0 }, null), { Test: ["NONE"] });
});

test("mergeConfig keeps the healthcheck and leaves the key out when there is none", () => {
  const image = { config: { ...emptyContainerConfig(), Cmd: ["/bin/sh"], Healthcheck: imageHealth } } as Parameters<typeof mergeConfig>[1];
  assert.deepEqual(mergeConfig({}, image, "img", "host").Healthcheck, imageHealth);
  const plain = { config: { ...emptyContainerConfig(), Cmd: ["/bin/sh"] } } as Parameters<typeof mergeConfig>[1];
  assert.equal("Healthcheck" in mergeConfig({ Healthcheck: null }, plain, "img", "host"), false);
  assert.deepEqual(mergeConfig({ Healthcheck: { Test: ["CMD", "true"] } }, plain, "img", "host").Healthcheck, { Test: ["CMD", "true"] });
});

test("a requested healthcheck is checked with dockerd's messages", () => {
  validateHealthcheck(undefined);
  validateHealthcheck({ Test: ["CMD-SHELL", "true"], Interval: 1_000_000, Retries: 0 });
  assert.throws(() => validateHealthcheck({ Interval: 500_000 }), { message: "Interval in Healthcheck cannot be less than 1ms" });
  assert.throws(() => validateHealthcheck({ Timeout: -1 }), { message: "Timeout in Healthcheck cannot be less than 1ms" });
  assert.throws(() => validateHealthcheck({ Retries: -1 }), { message: "Retries in Healthcheck cannot be negative" });
  assert.throws(() => validateHealthcheck({ StartPeriod: 1 }), { message: "StartPeriod in Healthcheck cannot be less than 1ms" });
  assert.throws(() => validateHealthcheck({ StartInterval: 1 }), { message: "StartInterval in Healthcheck cannot be less than 1ms" });
});

test("published ports are discarded in the host network, which the default mode uses for now", () => {
  const ports = { "80/tcp": [{ HostIp: "", HostPort: "8080" }] };
  const warning = ["Published ports are discarded when using host network mode"];
  for (const mode of [undefined, "", "default", "bridge", "host"]) assert.deepEqual(createWarnings({ NetworkMode: mode, PortBindings: ports }), warning, String(mode));
  assert.deepEqual(createWarnings({ NetworkMode: "none", PortBindings: ports }), []);
  assert.deepEqual(createWarnings({ NetworkMode: "host", PortBindings: {} }), []);
  assert.deepEqual(createWarnings({ NetworkMode: "host", PortBindings: null }), []);
  assert.deepEqual(createWarnings({ NetworkMode: "host" }), []);
});
