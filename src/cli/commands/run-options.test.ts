import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../command.ts";
import { healthcheckOf, OptionError, parsePublish } from "./run-options.ts";

test("-p as docker/cli parses it: ports, ranges, addresses, protocols and the long form", () => {
  assert.deepEqual(parsePublish(["8080:80", "127.0.0.1:9000-9001:90-91/udp", "53", "[::1]:8443:443", "published=7000,target=70,protocol=udp", "8081:80"]), {
    exposedPorts: { "443/tcp": {}, "53/tcp": {}, "70/udp": {}, "80/tcp": {}, "90/udp": {}, "91/udp": {} },
    portBindings: {
      "443/tcp": [{ HostIp: "::1", HostPort: "8443" }],
      "53/tcp": [{ HostIp: "", HostPort: "" }],
      "70/udp": [{ HostIp: "", HostPort: "7000" }],
      "80/tcp": [
        { HostIp: "", HostPort: "8080" },
        { HostIp: "", HostPort: "8081" },
      ],
      "90/udp": [{ HostIp: "127.0.0.1", HostPort: "9000" }],
      "91/udp": [{ HostIp: "127.0.0.1", HostPort: "9001" }],
    },
  });
  // A host range for one container port is kept whole: the range to allocate from.
  assert.deepEqual(parsePublish(["8000-8010:80"]).portBindings, { "80/tcp": [{ HostIp: "", HostPort: "8000-8010" }] });
  assert.deepEqual(parsePublish([]), { exposedPorts: {}, portBindings: {} });
});

test("-p errors carry docker's texts", () => {
  for (const [spec, message] of [
    ["abc", "invalid containerPort: abc"],
    ["8080:abc", "invalid containerPort: abc"],
    ["70000", "invalid containerPort: 70000"],
    ["1.2.3:80:80", "invalid IP address: 1.2.3"],
    ["80/xyz", "invalid proto: xyz"],
    ["8000-8001:80-82", "invalid ranges specified for container and host Ports: 80-82 and 8000-8001"],
    ["", "no port specified: <empty>"],
    ["foo=bar,x", "invalid publish opts format (should be name=value but got 'x')"],
  ]) {
    assert.throws(() => parsePublish([spec]), (err: unknown) => err instanceof OptionError && err.message === message, spec);
  }
});

test("--health-* and --no-healthcheck make docker's healthcheck, zero fields left out", () => {
  assert.equal(healthcheckOf({}), undefined);
  assert.deepEqual(healthcheckOf({ "health-cmd": "true", "health-interval": "5s" }), { Test: ["CMD-SHELL", "true"], Interval: 5e9 });
  assert.deepEqual(healthcheckOf({ "health-retries": "3", "health-timeout": "2s" }), { Timeout: 2e9, Retries: 3 });
  assert.deepEqual(healthcheckOf({ "no-healthcheck": true }), { Test: ["NONE"] });
  assert.throws(() => healthcheckOf({ "no-healthcheck": true, "health-cmd": "true" }), { message: "--no-healthcheck conflicts with --health-* options" });
  assert.throws(() => healthcheckOf({ "health-interval": "-1s" }), { message: "--health-interval cannot be negative" });
  assert.throws(() => healthcheckOf({ "health-retries": "-1" }), { message: "--health-retries cannot be negative" });
  assert.throws(
    () => healthcheckOf({ "health-timeout": "soon" }),
    (err: unknown) => err instanceof UsageError && err.exitCode === 125 && err.message === 'invalid argument "soon" for "--health-timeout" flag: time: invalid duration "soon"',
  );
});
