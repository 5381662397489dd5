import assert from "node:assert/strict";
import { test } from "node:test";
import { applyChanges } from "./changes.ts";
import { emptyContainerConfig } from "./image-config.ts";

test("import changes set the config as the Dockerfile instructions would", () => {
  const config = applyChanges(emptyContainerConfig(), [
    'CMD ["/bin/sh", "-c", "echo hi"]',
    "ENTRYPOINT /entry.sh",
    'ENV A=1 B="two words"',
    "ENV LEGACY old style value",
    "ENV A=3",
    "LABEL team=infra",
    "EXPOSE 80 53/udp",
    'VOLUME ["/data", "/logs"]',
    "VOLUME /cache",
    "USER 1000:1000",
    "WORKDIR /srv",
    "WORKDIR app",
    "ONBUILD RUN true",
  ]);
  assert.deepEqual(config.Cmd, ["/bin/sh", "-c", "echo hi"]);
  assert.deepEqual(config.Entrypoint, ["/bin/sh", "-c", "/entry.sh"]);
  assert.deepEqual(config.Env, ["B=two words", "LEGACY=old style value", "A=3"]);
  assert.deepEqual(config.Labels, { team: "infra" });
  assert.deepEqual(config.ExposedPorts, { "80/tcp": {}, "53/udp": {} });
  assert.deepEqual(config.Volumes, { "/data": {}, "/logs": {}, "/cache": {} });
  assert.equal(config.User, "1000:1000");
  assert.equal(config.WorkingDir, "/srv/app");
  assert.deepEqual(config.OnBuild, ["RUN true"]);
});

test("instructions an import cannot carry are refused", () => {
  assert.throws(() => applyChanges(emptyContainerConfig(), ["RUN make"]), { kind: "invalid", message: "run is not a valid change command" });
  assert.throws(() => applyChanges(emptyContainerConfig(), ["ENV ONLYKEY"]), { message: "ENV requires at least two arguments" });
});
