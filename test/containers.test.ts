// Containers through the real docker CLI: create, list, inspect, remove, names, and the
// volumes they hold in use. Needs root, busybox-static and a built binary.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { api, docker, importBusybox, moor, useEngine } from "./support/engine.ts";

const engine = useEngine((started) => importBusybox(started, { changes: ['CMD ["/bin/sh"]', "VOLUME /cache"] }));

test("create records the merged config; ps, inspect and rm see it", async () => {
  const created = await docker(engine(), ["create", "--name", "web", "-e", "X=1", "-l", "tier=front", "busybox", "echo", "hi"]);
  assert.equal(created.code, 0, created.stderr);
  const id = created.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const ps = await docker(engine(), ["ps", "-a", "--format", "{{.Names}} {{.Image}} {{.Command}} {{.Status}} {{.Labels}}"]);
  assert.equal(ps.stdout, 'web busybox "echo hi" Created tier=front\n');
  assert.equal((await docker(engine(), ["ps", "-q"])).stdout, "", "a created container is not running");
  const inspect = JSON.parse((await docker(engine(), ["inspect", "web"])).stdout)[0];
  assert.equal(inspect.Name, "/web");
  assert.equal(inspect.Path, "echo");
  assert.deepEqual(inspect.Args, ["hi"]);
  assert.equal(inspect.State.Status, "created");
  assert.deepEqual(inspect.Config.Env, ["X=1"]);
  assert.deepEqual(inspect.Config.Volumes, { "/cache": {} }, "the image's VOLUME is in the config");
  assert.equal(inspect.Config.Hostname, id.slice(0, 12));
  const cache = inspect.Mounts.find((m: { Destination: string }) => m.Destination === "/cache");
  assert.match(cache.Name, /^[0-9a-f]{64}$/, "an anonymous volume serves the image's VOLUME");
  assert.deepEqual(await docker(engine(), ["rm", "-v", "web"]), { code: 0, stdout: "web\n", stderr: "" });
  assert.equal((await docker(engine(), ["volume", "ls", "-q"])).stdout, "", "rm -v removed the anonymous volume");
});

test("a named volume is in use from create until the container is removed, and survives it", async () => {
  const id = (await docker(engine(), ["create", "-v", "appdata:/data", "busybox"])).stdout.trim();
  const rm = await docker(engine(), ["volume", "rm", "appdata"]);
  assert.deepEqual(rm, { code: 1, stdout: "", stderr: `Error response from daemon: remove appdata: volume is in use - [${id}]\n` });
  assert.equal((await docker(engine(), ["ps", "-a", "-q", "--filter", "volume=appdata"])).stdout, `${id.slice(0, 12)}\n`);
  await docker(engine(), ["rm", "-v", id]);
  assert.equal((await docker(engine(), ["volume", "ls", "-q"])).stdout.includes("appdata\n"), true, "named volumes outlive their containers");
  assert.equal((await docker(engine(), ["volume", "rm", "appdata"])).code, 0);
});

test("dockerd's errors: name in use, bad name, no such image, no such container, --rm with restart", async () => {
  const first = (await docker(engine(), ["create", "--name", "taken", "busybox"])).stdout.trim();
  const again = await docker(engine(), ["create", "--name", "taken", "busybox"]);
  assert.equal(again.code, 1);
  assert.equal(
    again.stderr,
    `Error response from daemon: Conflict. The container name "/taken" is already in use by container "${first}". You have to remove (or rename) that container to be able to reuse that name.\n`,
  );
  const badName = await api(engine(), "POST", "/v1.45/containers/create?name=-bad", { Image: "busybox" });
  assert.equal(badName.status, 400);
  assert.equal(JSON.parse(badName.body).message, "Invalid container name (-bad), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  const noImage = await api(engine(), "POST", "/v1.45/containers/create", { Image: "nosuch" });
  assert.deepEqual([noImage.status, JSON.parse(noImage.body).message], [404, "No such image: nosuch:latest"]);
  const autoRemove = await api(engine(), "POST", "/v1.45/containers/create", { Image: "busybox", HostConfig: { AutoRemove: true, RestartPolicy: { Name: "always" } } });
  assert.deepEqual([autoRemove.status, JSON.parse(autoRemove.body).message], [400, "can't create 'AutoRemove' container with restart policy"]);
  assert.deepEqual(await docker(engine(), ["rm", "nosuch"]), { code: 1, stdout: "", stderr: "Error response from daemon: No such container: nosuch\n" });
  await docker(engine(), ["rm", "taken"]);
});

test("a create body is decoded and checked as dockerd does it: one string for a command, Go's errors for other JSON, its own settings before the image; list filters' values checked", async () => {
  const created = await api(engine(), "POST", "/v1.45/containers/create", { Image: "busybox", Entrypoint: "sh", Cmd: "-c" });
  assert.equal(created.status, 201, created.body);
  const id = JSON.parse(created.body).Id as string;
  const config = JSON.parse((await api(engine(), "GET", `/v1.45/containers/${id}/json`)).body).Config;
  assert.deepEqual([config.Entrypoint, config.Cmd], [["sh"], ["-c"]]);
  await api(engine(), "DELETE", `/v1.45/containers/${id}`);
  const refused: Array<[unknown, string]> = [
    [{ Image: "busybox", Cmd: [1] }, "json: cannot unmarshal array into Go struct field ContainerConfigWrapper.Cmd of type string"],
    [{ Image: "busybox", Entrypoint: 5 }, "json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Entrypoint of type string"],
    [{ Image: "busybox", Shell: { sh: true } }, "json: cannot unmarshal object into Go struct field ContainerConfigWrapper.Shell of type string"],
    [{ Image: "busybox", Env: "A=1" }, "json: cannot unmarshal string into Go struct field ContainerConfigWrapper.Env of type []string"],
    [{ Image: "busybox", Env: [true] }, "json: cannot unmarshal bool into Go struct field ContainerConfigWrapper.Env of type string"],
    [{ Image: "busybox", Env: [null] }, "invalid environment variable: "],
    [{ Image: "busybox", Env: ["A=1", "=x"] }, "invalid environment variable: =x"],
    [{ Image: "busybox", HostConfig: { Mounts: [null] } }, 'invalid mount config for type "": field Target must not be empty'],
    // The request's settings are checked before the image: a missing image is not what is said.
    [{ Image: "nosuch", WorkingDir: "relative" }, "the working directory 'relative' is invalid, it needs to be an absolute path"],
    [{ Image: "nosuch", StopSignal: "SIGNOPE" }, "Invalid signal: SIGNOPE"],
    [{ Cmd: ["true"], HostConfig: { RestartPolicy: { Name: "sometimes" } } }, "invalid restart policy 'sometimes'"],
    [{ HostConfig: { RestartPolicy: { Name: "always" } } }, "config cannot be empty in order to create a container"],
  ];
  const before = (await docker(engine(), ["ps", "-aq"])).stdout;
  for (const [body, message] of refused) {
    const answer = await api(engine(), "POST", "/v1.45/containers/create", body);
    assert.deepEqual([answer.status, JSON.parse(answer.body).message], [400, message], JSON.stringify(body));
  }
  assert.equal((await docker(engine(), ["ps", "-aq"])).stdout, before, "no container made");
  for (const [filters, message] of [
    [{ status: ["bogus"] }, "Invalid filter 'status=bogus'"],
    [{ exited: ["abc"] }, 'strconv.Atoi: parsing "abc": invalid syntax'],
  ] as const) {
    const listed = await api(engine(), "GET", `/v1.45/containers/json?filters=${encodeURIComponent(JSON.stringify(filters))}`);
    assert.deepEqual([listed.status, JSON.parse(listed.body).message], [400, message]);
  }
});

test("moor ps, inspect and rm print as docker does", async () => {
  await docker(engine(), ["create", "--name", "twin", "busybox", "sh", "-c", "echo a very long command line here"]);
  for (const args of [
    ["ps", "-a", "--format", "table {{.Image}}\t{{.Command}}\t{{.Status}}\t{{.Names}}"],
    ["ps", "-a", "--no-trunc", "--format", "{{.Command}} {{.State}} {{.LocalVolumes}}"],
    ["ps", "-a", "--filter", "name=twin", "-q"],
    ["container", "inspect", "--format", "{{.Name}} {{.State.Status}} {{.Config.Cmd}}", "twin"],
    ["container", "inspect", "nosuch"],
  ]) {
    assert.deepEqual(await moor(engine(), args), await docker(engine(), args), args.join(" "));
  }
  assert.deepEqual(await moor(engine(), ["rm", "-v", "twin"]), { code: 0, stdout: "twin\n", stderr: "" });
  assert.deepEqual(await moor(engine(), ["rm", "twin"]), { code: 1, stdout: "", stderr: "Error response from daemon: No such container: twin\n" });
});

test("moor create sends what docker create sends", async () => {
  const flags = ["-e", "A=1", "-v", "createdata:/data", "-w", "/w", "-u", "1000", "-l", "a=b", "--read-only", "--network", "none", "--entrypoint", "/bin/sh", "--tmpfs", "/t:size=1m", "-it", "--restart", "on-failure:3"];
  const viaDocker = (await docker(engine(), ["create", "--name", "via-docker", ...flags, "busybox", "-c", "echo hi"])).stdout.trim();
  const viaMoor = (await moor(engine(), ["create", "--name", "via-moor", ...flags, "busybox", "-c", "echo hi"])).stdout.trim();
  const comparable = async (id: string) => {
    const inspect = JSON.parse((await api(engine(), "GET", `/containers/${id}/json`)).body);
    delete inspect.Config.Hostname;
    // The docker CLI also sends every other HostConfig field at its zero value; these are the
    // ones the flags set.
    const host = inspect.HostConfig;
    const setByFlags = ["Binds", "NetworkMode", "RestartPolicy", "AutoRemove", "ReadonlyRootfs", "Tmpfs", "Privileged", "Memory", "NanoCpus"];
    const shape = { Config: inspect.Config, HostConfig: Object.fromEntries(setByFlags.map((key) => [key, host[key]])), Path: inspect.Path, Args: inspect.Args, Mounts: inspect.Mounts };
    // Each container gets its own anonymous volume for the image's VOLUME.
    return JSON.parse(JSON.stringify(shape).replace(/[0-9a-f]{64}/g, "<anonymous>"));
  };
  assert.deepEqual(await comparable(viaMoor), await comparable(viaDocker));
  assert.equal((await moor(engine(), ["create", "--rm", "--restart", "always", "busybox"])).stderr, "moor: conflicting options: cannot specify both --restart and --rm\n\nRun 'moor create --help' for more information\n");
  await docker(engine(), ["rm", "-v", "via-docker", "via-moor"]);
});

test("docker run prints the output, keeps stdout and stderr apart, and exits with the container's code", async () => {
  assert.deepEqual(await docker(engine(), ["run", "--rm", "busybox", "echo", "hi"]), { code: 0, stdout: "hi\n", stderr: "" });
  const failing = await docker(engine(), ["run", "--name", "three", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"]);
  assert.deepEqual(failing, { code: 3, stdout: "out\n", stderr: "err\n" });
  const inspect = JSON.parse((await docker(engine(), ["inspect", "three"])).stdout)[0];
  assert.equal(inspect.State.Status, "exited");
  assert.equal(inspect.State.ExitCode, 3);
  assert.deepEqual(await docker(engine(), ["logs", "three"]), { code: 0, stdout: "out\n", stderr: "err\n" });
  assert.equal((await docker(engine(), ["logs", "--tail", "1", "three"])).stderr, "err\n");
  await docker(engine(), ["rm", "-v", "three"]);
  assert.equal((await docker(engine(), ["ps", "-aq"])).stdout, "", "--rm removed the first container");
});

test("a command that is not in the image fails with exit code 127 and leaves nothing running", async () => {
  const missing = await docker(engine(), ["run", "--rm", "busybox", "nosuchcmd"]);
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /executable file not found in \$PATH/);
  assert.equal((await docker(engine(), ["ps", "-aq"])).stdout, "");
});

test("detached containers run, stop with SIGTERM then SIGKILL, and kill gives 137", async () => {
  const id = (await docker(engine(), ["run", "-d", "--name", "sleeper", "busybox", "sleep", "1000"])).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal((await docker(engine(), ["ps", "--format", "{{.Names}} {{.State}}"])).stdout, "sleeper running\n");
  assert.equal((await docker(engine(), ["stop", "-t", "1", "sleeper"])).code, 0);
  assert.equal(JSON.parse((await docker(engine(), ["inspect", "sleeper"])).stdout)[0].State.ExitCode, 137, "sleep ignores SIGTERM as PID 1, so the timeout's SIGKILL ends it");
  assert.equal((await docker(engine(), ["start", "sleeper"])).code, 0);
  assert.equal((await docker(engine(), ["kill", "sleeper"])).code, 0);
  assert.deepEqual(await docker(engine(), ["wait", "sleeper"]), { code: 0, stdout: "137\n", stderr: "" });
  await docker(engine(), ["rm", "-v", "sleeper"]);
});

test("a volume written by one container is there for the next one", async () => {
  assert.equal((await docker(engine(), ["run", "--rm", "-v", "carried:/data", "busybox", "sh", "-c", "echo kept > /data/file"])).code, 0);
  assert.deepEqual(await docker(engine(), ["run", "--rm", "-v", "carried:/data", "busybox", "cat", "/data/file"]), { code: 0, stdout: "kept\n", stderr: "" });
  await docker(engine(), ["volume", "rm", "carried"]);
});

test("moor start, stop, kill, wait and logs print as docker does", async () => {
  await docker(engine(), ["create", "--name", "job", "busybox", "sh", "-c", "echo one; echo two >&2; echo three; exit 4"]);
  assert.deepEqual(await moor(engine(), ["start", "job"]), { code: 0, stdout: "job\n", stderr: "" });
  assert.deepEqual(await moor(engine(), ["wait", "job"]), { code: 0, stdout: "4\n", stderr: "" });
  for (const args of [["logs", "job"], ["logs", "--tail", "1", "job"], ["wait", "job"], ["logs", "nosuch"]]) {
    assert.deepEqual(await moor(engine(), args), await docker(engine(), args), args.join(" "));
  }
  await docker(engine(), ["run", "-d", "--name", "long", "busybox", "sleep", "1000"]);
  assert.deepEqual(await moor(engine(), ["kill", "-s", "KILL", "long"]), { code: 0, stdout: "long\n", stderr: "" });
  assert.deepEqual(await moor(engine(), ["wait", "long"]), { code: 0, stdout: "137\n", stderr: "" });
  await moor(engine(), ["start", "long"]);
  // Signals as dockerd reads them: an unknown name is a bad request, a number Linux lacks a server error.
  const longId = (await moor(engine(), ["inspect", "-f", "{{.Id}}", "long"])).stdout.trim();
  assert.deepEqual(await moor(engine(), ["kill", "-s", "FOO", "long"]), { code: 1, stdout: "", stderr: "Error response from daemon: Invalid signal: FOO\n" });
  assert.deepEqual(await docker(engine(), ["kill", "-s", "99", "long"]), { code: 1, stdout: "", stderr: `Error response from daemon: Cannot kill container: ${longId}: The linux daemon does not support signal 99\n` });
  // sleep as the container's init has no handler for a real-time signal: it keeps running.
  assert.deepEqual(await docker(engine(), ["kill", "-s", "RTMIN+3", "long"]), { code: 0, stdout: "long\n", stderr: "" });
  assert.equal(JSON.parse((await moor(engine(), ["container", "inspect", "long"])).stdout)[0].State.Status, "running");
  assert.deepEqual(await moor(engine(), ["stop", "-t", "0", "long"]), { code: 0, stdout: "long\n", stderr: "" });
  assert.equal(JSON.parse((await moor(engine(), ["container", "inspect", "long"])).stdout)[0].State.Status, "exited");
  const killStopped = await moor(engine(), ["kill", "long"]);
  assert.equal(killStopped.code, 1);
  assert.match(killStopped.stderr, /^Error response from daemon: cannot kill container: long: container [0-9a-f]{64} is not running\n$/);
  await moor(engine(), ["rm", "-v", "job", "long"]);
});

test("moor run behaves as docker run: output, stdin, exit codes, --rm, -d", async () => {
  for (const args of [
    ["run", "--rm", "busybox", "echo", "hi"],
    ["run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"],
  ]) {
    assert.deepEqual(await moor(engine(), args), await docker(engine(), args), args.join(" "));
  }
  assert.deepEqual(await moor(engine(), ["run", "--rm", "-i", "busybox", "cat"], { input: "through stdin\n" }), { code: 0, stdout: "through stdin\n", stderr: "" });
  const missing = await moor(engine(), ["run", "--rm", "busybox", "nosuchcmd"]);
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /^moor: Error response from daemon: failed to create shim task: OCI runtime create failed: .*executable file not found in \$PATH: unknown\n\nRun 'moor run --help' for more information\n$/);
  const id = (await moor(engine(), ["run", "-d", "busybox", "sleep", "1000"])).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal((await moor(engine(), ["ps", "-q"])).stdout, `${id.slice(0, 12)}\n`);
  assert.deepEqual(await moor(engine(), ["rm", "-f", id]), { code: 0, stdout: `${id}\n`, stderr: "" });
  assert.equal((await moor(engine(), ["ps", "-aq"])).stdout, "", "--rm and rm -f left nothing");
});

test("docker run honours stdin, --network none, --read-only, -u and -w", async () => {
  assert.deepEqual(await docker(engine(), ["run", "-i", "--rm", "busybox", "cat"], { input: "via docker\n" }), { code: 0, stdout: "via docker\n", stderr: "" });
  const addresses = await docker(engine(), ["run", "--rm", "--network", "none", "busybox", "sh", "-c", "ip -o addr | cut -d' ' -f2 | sort -u"]);
  assert.equal(addresses.stdout, "lo\n", "only loopback in an own network namespace");
  const readOnly = await docker(engine(), ["run", "--rm", "--read-only", "busybox", "touch", "/x"]);
  assert.deepEqual([readOnly.code, readOnly.stderr], [1, "touch: /x: Read-only file system\n"]);
  assert.deepEqual(await docker(engine(), ["run", "--rm", "-w", "/srv", "-u", "65534", "busybox", "sh", "-c", "id -u; pwd"]), { code: 0, stdout: "65534\n/srv\n", stderr: "" });
});

test("rename and container prune, from moor and docker", async () => {
  const id = (await docker(engine(), ["create", "--name", "old-name", "busybox"])).stdout.trim();
  const other = (await docker(engine(), ["create", "--name", "other", "busybox"])).stdout.trim();
  assert.deepEqual(await moor(engine(), ["rename", "old-name", "new-name"]), { code: 0, stdout: "", stderr: "" });
  assert.equal(JSON.parse((await docker(engine(), ["inspect", id])).stdout)[0].Name, "/new-name");
  for (const args of [["rename", "new-name", "other"], ["rename", "new-name", "new-name"], ["rename", "nosuch", "x1"]]) {
    assert.deepEqual(await moor(engine(), args), await docker(engine(), args), args.join(" "));
  }
  const running = (await docker(engine(), ["run", "-d", "busybox", "sleep", "1000"])).stdout.trim();
  const pruned = await moor(engine(), ["container", "prune", "-f"]);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, /^Deleted Containers:\n([0-9a-f]{64}\n){2}\nTotal reclaimed space: 0B\n$/);
  assert.deepEqual(pruned.stdout.split("\n").filter((line) => /^[0-9a-f]{64}$/.test(line)).sort(), [id, other].sort());
  assert.equal((await docker(engine(), ["ps", "-aq", "--no-trunc"])).stdout, `${running}\n`, "only the running container is left");
  await docker(engine(), ["rm", "-f", running]);
});

test("logs --follow streams until the container exits, from moor and docker", async () => {
  const id = (await docker(engine(), ["run", "-d", "busybox", "sh", "-c", "echo first; sleep 1; echo second >&2; sleep 1; echo third"])).stdout.trim();
  const [viaMoor, viaDocker] = await Promise.all([moor(engine(), ["logs", "-f", id]), docker(engine(), ["logs", "-f", id])]);
  assert.deepEqual(viaMoor, { code: 0, stdout: "first\nthird\n", stderr: "second\n" });
  assert.deepEqual(viaDocker, viaMoor);
  await docker(engine(), ["rm", "-v", id]);
});

test("containers see dockerd's init layer: /.dockerenv, /etc/mtab, and the /etc files as files", async () => {
  const listed = await docker(engine(), ["run", "--rm", "busybox", "sh", "-c", "ls -l /.dockerenv && readlink /etc/mtab && test -f /etc/hostname && echo ok"]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^-rwxr-xr-x\s+1 root\s+root\s+0 .* \/\.dockerenv\n\/proc\/mounts\nok\n$/);
  const hostDir = mkdtempSync(join(tmpdir(), "moor-init-"));
  try {
    const onto = await docker(engine(), ["run", "--rm", "-v", `${hostDir}:/etc/hostname`, "busybox", "true"]);
    assert.equal(onto.code, 125);
    assert.match(onto.stderr, /not a directory: unknown: Are you trying to mount a directory onto a file \(or vice-versa\)\?/);
  } finally {
    rmSync(hostDir, { recursive: true, force: true });
  }
});

test("pause freezes a container's processes until unpause, with dockerd's state, status and refusals", async () => {
  const id = (await docker(engine(), ["run", "-d", "--name", "frozen", "busybox", "sh", "-c", "trap 'exit 0' TERM; i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done"])).stdout.trim();
  try {
    const count = async () => Number((await docker(engine(), ["exec", "frozen", "cat", "/tmp/count"])).stdout);
    for (let tries = 0; (await count()) === 0 && tries < 100; tries++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await moor(engine(), ["pause", "frozen"]), { code: 0, stdout: "frozen\n", stderr: "" });
    const state = JSON.parse((await docker(engine(), ["inspect", "--format", "{{json .State}}", "frozen"])).stdout);
    assert.deepEqual([state.Status, state.Running, state.Paused], ["paused", true, true]);
    assert.match((await docker(engine(), ["ps", "--filter", "status=paused", "--format", "{{.Names}} {{.Status}}"])).stdout, /^frozen Up .* \(Paused\)\n$/);

    // The writer is frozen: the count it keeps writing to its disk stands still.
    const upper = join(JSON.parse((await docker(engine(), ["inspect", "frozen"])).stdout)[0].GraphDriver.Data.UpperDir, "tmp/count");
    const before = execFileSync("cat", [upper], { encoding: "utf8" });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(execFileSync("cat", [upper], { encoding: "utf8" }), before, "no writes while paused");

    const refusals: Array<[string[], string]> = [
      [["pause", "frozen"], `Error response from daemon: Container ${id} is already paused\n`],
      [["exec", "frozen", "true"], `Error response from daemon: Container ${id} is paused, unpause the container before exec\n`],
      [["rm", "frozen"], `Error response from daemon: You cannot remove a paused container ${id}. Unpause and then stop the container before attempting removal or force remove\n`],
    ];
    for (const [args, stderr] of refusals) assert.deepEqual(await docker(engine(), args), { code: 1, stdout: "", stderr }, args.join(" "));
    assert.equal((await api(engine(), "POST", "/v1.41/containers/frozen/start")).status, 409);

    assert.deepEqual(await docker(engine(), ["unpause", "frozen"]), { code: 0, stdout: "frozen\n", stderr: "" });
    const resumed = await count();
    for (let tries = 0; (await count()) === resumed && tries < 100; tries++) await new Promise((r) => setTimeout(r, 20));
    assert.ok((await count()) > resumed, "it writes again");
    const notPaused = await api(engine(), "POST", "/v1.41/containers/frozen/unpause");
    assert.deepEqual([notPaused.status, JSON.parse(notPaused.body).message], [500, `Container ${id} is not paused`]);

    // A paused container still stops: the stop signal thaws it, and its handler runs.
    assert.equal((await docker(engine(), ["pause", "frozen"])).code, 0);
    assert.deepEqual(await docker(engine(), ["stop", "-t", "30", "frozen"]), { code: 0, stdout: "frozen\n", stderr: "" });
    assert.equal((await docker(engine(), ["inspect", "--format", "{{.State.Status}} {{.State.Paused}} {{.State.ExitCode}}", "frozen"])).stdout, "exited false 0\n");
    const stopped = await api(engine(), "POST", "/v1.41/containers/frozen/pause");
    assert.deepEqual([stopped.status, JSON.parse(stopped.body).message], [409, `Container ${id} is not running`]);
  } finally {
    await docker(engine(), ["rm", "-f", "frozen"]);
  }
});
