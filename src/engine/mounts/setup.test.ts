import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMountInfo, propagationProblem, sourceMountOf } from "./propagation.ts";
import { specMounts, type MountPointAtStart, type MountSetupFacts } from "./setup.ts";

const mountInfo = parseMountInfo(
  [
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
    "30 22 0:25 / /mnt/private rw,relatime - tmpfs tmpfs rw",
    "31 22 0:26 / /mnt/slave rw,relatime master:7 - tmpfs tmpfs rw",
    "32 22 0:27 / /mnt/with\\040space rw,relatime - tmpfs tmpfs rw",
  ].join("\n"),
);
const facts: MountSetupFacts = { recursiveReadOnly: true, daemonRoot: "/var/lib/moor", mountInfo };

const point = (destination: string, partial: Partial<MountPointAtStart>): MountPointAtStart => ({
  destination,
  type: "bind",
  volumeName: null,
  source: "/h",
  hostPath: "/h",
  mode: "",
  rw: true,
  propagation: "rprivate",
  driver: "",
  spec: JSON.stringify({ Type: "bind", Source: "/h", Target: destination }),
  createSource: false,
  ...partial,
});

test("mountinfo: mount points unescaped, optional fields kept, the longest prefix holds a path", () => {
  assert.deepEqual(mountInfo.map((m) => m.mountPoint), ["/", "/mnt/private", "/mnt/slave", "/mnt/with space"]);
  assert.equal(sourceMountOf("/mnt/slave/x", mountInfo)?.mountPoint, "/mnt/slave");
  assert.equal(sourceMountOf("/srv", mountInfo)?.mountPoint, "/");
});

test("shared binds need a shared source mount, slave binds a shared or slave one", () => {
  assert.equal(propagationProblem("/srv", "rshared", mountInfo), undefined);
  assert.equal(propagationProblem("/mnt/slave/x", "rslave", mountInfo), undefined);
  assert.equal(propagationProblem("/mnt/private/x", "rprivate", mountInfo), undefined);
  assert.equal(propagationProblem("/mnt/slave/x", "shared", mountInfo), "path /mnt/slave/x is mounted on /mnt/slave but it is not a shared mount");
  assert.equal(propagationProblem("/mnt/private/x", "slave", mountInfo), "path /mnt/private/x is mounted on /mnt/private but it is not a shared or slave mount");
});

test("spec mounts: binds, volumes and both kinds of tmpfs, with dockerd's options", () => {
  const mounts = specMounts(
    [
      point("/b", {}),
      point("/ro", { rw: false, spec: JSON.stringify({ Type: "bind", Source: "/h", Target: "/ro", ReadOnly: true }) }),
      point("/ro-old", { rw: false, spec: JSON.stringify({ Type: "bind", Source: "/h", Target: "/ro-old", ReadOnly: true, BindOptions: { ReadOnlyNonRecursive: true } }) }),
      point("/nr", { spec: JSON.stringify({ Type: "bind", Source: "/h", Target: "/nr", BindOptions: { NonRecursive: true } }) }),
      point("/v", { type: "volume", volumeName: "v", hostPath: "/var/lib/moor/volumes/v/_data", propagation: "", rw: false, spec: JSON.stringify({ Type: "volume", Source: "v", Target: "/v", ReadOnly: true }) }),
      point("/mt", { type: "tmpfs", propagation: "", spec: JSON.stringify({ Type: "tmpfs", Target: "/mt", ReadOnly: true, TmpfsOptions: { SizeBytes: 2 ** 21, Mode: 0o1770 } }) }),
      point("/shadowed", { type: "volume", volumeName: "s", hostPath: "/var/lib/moor/volumes/s/_data", propagation: "" }),
    ],
    { "/t": "size=64k", "/shadowed": "" },
    facts,
  );
  const byDestination = Object.fromEntries(mounts.map((m) => [m.destination, m]));
  assert.deepEqual(Object.keys(byDestination).sort(), ["/b", "/mt", "/nr", "/ro", "/ro-old", "/shadowed", "/t", "/v"]);
  assert.deepEqual(byDestination["/b"], { destination: "/b", type: "bind", source: "/h", options: ["rbind", "rprivate"] });
  assert.deepEqual(byDestination["/ro"].options, ["rbind", "rro", "rprivate"]);
  assert.deepEqual(byDestination["/ro-old"].options, ["rbind", "ro", "rprivate"]);
  assert.deepEqual(byDestination["/nr"].options, ["bind", "rprivate"]);
  assert.deepEqual(byDestination["/v"], { destination: "/v", type: "bind", source: "/var/lib/moor/volumes/v/_data", options: ["rbind", "rro"] });
  assert.deepEqual(byDestination["/mt"], { destination: "/mt", type: "tmpfs", source: "tmpfs", options: ["noexec", "nosuid", "nodev", "rprivate", "ro", "mode=1770", "size=2m"] });
  assert.deepEqual(byDestination["/t"].options, ["noexec", "nosuid", "nodev", "rprivate", "size=64k"]);
  assert.equal(byDestination["/shadowed"].type, "tmpfs", "a tmpfs wins over the volume on its destination");
  const withoutRro = specMounts([point("/ro", { rw: false, spec: JSON.stringify({ Type: "bind", Source: "/h", Target: "/ro", ReadOnly: true }) })], {}, { ...facts, recursiveReadOnly: false });
  assert.deepEqual(withoutRro[0].options, ["rbind", "ro", "rprivate"]);
});

test("propagation the host cannot honour fails the start, except the data root's own rslave", () => {
  assert.throws(() => specMounts([point("/s", { hostPath: "/mnt/private/x", propagation: "rshared" })], {}, facts), /is not a shared mount/);
  const fallback = specMounts([point("/r", { hostPath: "/mnt/private", source: "/mnt/private", propagation: "rslave" })], {}, { ...facts, daemonRoot: "/mnt/private/moor" });
  assert.deepEqual(fallback[0].options, ["rbind", "rslave"]);
  const explicit = point("/r", { hostPath: "/mnt/private", propagation: "rslave", spec: JSON.stringify({ Type: "bind", Source: "/mnt/private", Target: "/r", BindOptions: { Propagation: "rslave" } }) });
  assert.throws(() => specMounts([explicit], {}, { ...facts, daemonRoot: "/mnt/private/moor" }), /not a shared or slave mount/);
});

test("conflicting read-only options are refused as dockerd refuses them", () => {
  const conflicting = point("/c", { spec: JSON.stringify({ Type: "bind", Source: "/h", Target: "/c", BindOptions: { ReadOnlyNonRecursive: true } }) });
  assert.throws(() => specMounts([conflicting], {}, facts), /mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive/);
});
