// docker diff / moor diff: a container's filesystem changes against its image, as dockerd's
// overlay2 driver lists them. The expected lines were taken from a reference dockerd running the
// same commands on the same image. Needs root, busybox-static and a built binary.
import assert from "node:assert/strict";
import { test } from "node:test";
import { api, docker, importBusybox, moor, useEngine } from "./support/engine.ts";

const engine = useEngine((started) => importBusybox(started));

test("a container that adds, modifies and deletes files: docker diff and moor diff list what dockerd lists", async () => {
  const script = [
    "echo x > /etc/x",
    "echo y >> /etc/passwd",
    "rm /etc/group",
    "mkdir -p /var/lib/a/b",
    "touch /var/lib/a/b/c",
    "rm -rf /root",
    "mkdir /newdir",
    "touch /tmp/t",
    "rm /bin/ls",
    "ln -s busybox /bin/ls2",
    "chmod 700 /tmp",
    // Copied up without a change: not listed, as with dockerd.
    "chmod 755 /bin/busybox",
  ].join("; ");
  const ran = await docker(engine(), ["run", "--name", "changer", "-v", "/data", "--tmpfs", "/scratch", "busybox", "sh", "-c", script]);
  assert.equal(ran.code, 0, ran.stderr);
  const expected = [
    "C /bin",
    "D /bin/ls",
    "A /bin/ls2",
    // Volume and tmpfs mount points are in the container's layer (dockerd lists them too); the
    // mount points runc makes for /etc/hosts, /etc/hostname and /etc/resolv.conf are not.
    "A /data",
    "C /etc",
    "D /etc/group",
    "C /etc/passwd",
    "A /etc/x",
    "A /newdir",
    "D /root",
    "A /scratch",
    "C /tmp",
    "A /tmp/t",
    "C /var",
    "C /var/lib",
    "A /var/lib/a",
    "A /var/lib/a/b",
    "A /var/lib/a/b/c",
  ];
  const viaDocker = await docker(engine(), ["diff", "changer"]);
  assert.deepEqual(viaDocker, { code: 0, stdout: expected.map((line) => `${line}\n`).join(""), stderr: "" });
  assert.deepEqual(await moor(engine(), ["diff", "changer"]), viaDocker);
  assert.deepEqual(await moor(engine(), ["container", "diff", "changer"]), viaDocker);
  const changes = await api(engine(), "GET", "/v1.45/containers/changer/changes");
  assert.equal(changes.status, 200);
  assert.deepEqual(JSON.parse(changes.body).slice(0, 3), [
    { Path: "/bin", Kind: 0 },
    { Path: "/bin/ls", Kind: 2 },
    { Path: "/bin/ls2", Kind: 1 },
  ]);
  await docker(engine(), ["rm", "-v", "changer"]);
});

test("a directory removed and made again lists the image's entries it lost as deleted", async () => {
  const ran = await docker(engine(), ["run", "--name", "remade", "busybox", "sh", "-c", "rm -rf /var && mkdir -p /var/new"]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.deepEqual(await moor(engine(), ["diff", "remade"]), { code: 0, stdout: "C /var\nD /var/lib\nA /var/new\n", stderr: "" });
  await docker(engine(), ["rm", "remade"]);
});

test("names that are not UTF-8: changes inside such a directory show, named as dockerd's JSON names them (U+FFFD for each such byte)", async () => {
  const ran = await docker(engine(), ["run", "--name", "bytes", "busybox", "sh", "-c", 'mkdir "$(printf "/d\\376")" && echo x > "$(printf "/d\\376/inner")"']);
  assert.equal(ran.code, 0, ran.stderr);
  const changes = await api(engine(), "GET", "/containers/bytes/changes");
  assert.deepEqual(JSON.parse(changes.body), [
    { Path: "/d\ufffd", Kind: 1 },
    { Path: "/d\ufffd/inner", Kind: 1 },
  ]);
  assert.deepEqual(await docker(engine(), ["diff", "bytes"]), { code: 0, stdout: "A /d\ufffd\nA /d\ufffd/inner\n", stderr: "" });
  await docker(engine(), ["rm", "bytes"]);
});

test("no changes: dockerd's null, and no output", async () => {
  await docker(engine(), ["create", "--name", "fresh", "busybox", "true"]);
  await docker(engine(), ["run", "--name", "idle", "busybox", "true"]);
  for (const name of ["fresh", "idle"]) {
    const changes = await api(engine(), "GET", `/containers/${name}/changes`);
    assert.deepEqual([changes.status, changes.body], [200, "null\n"], name);
    assert.deepEqual(await docker(engine(), ["diff", name]), { code: 0, stdout: "", stderr: "" });
    assert.deepEqual(await moor(engine(), ["diff", name]), { code: 0, stdout: "", stderr: "" });
  }
  await docker(engine(), ["rm", "fresh", "idle"]);
});

test("a running container's changes show while it runs", async () => {
  await docker(engine(), ["run", "-d", "--name", "live", "busybox", "sh", "-c", "echo hi > /tmp/live; sleep 1000"]);
  const deadline = Date.now() + 10_000;
  let listed = "";
  while (Date.now() < deadline) {
    listed = (await moor(engine(), ["diff", "live"])).stdout;
    if (listed !== "") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(listed, "C /tmp\nA /tmp/live\n");
  await docker(engine(), ["rm", "-f", "live"]);
});

test("diff of a container that does not exist: dockerd's 404 and the CLIs' error", async () => {
  const changes = await api(engine(), "GET", "/containers/nosuch/changes");
  assert.deepEqual([changes.status, JSON.parse(changes.body).message], [404, "No such container: nosuch"]);
  const expected = { code: 1, stdout: "", stderr: "Error response from daemon: No such container: nosuch\n" };
  assert.deepEqual(await docker(engine(), ["diff", "nosuch"]), expected);
  assert.deepEqual(await moor(engine(), ["diff", "nosuch"]), expected);
});
