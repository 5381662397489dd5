import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { access, copyFile, lstat, mkdir, mkdtemp, open, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { MoorError } from "../../errors.ts";
import {
  classifyRuntimeError,
  ConmonRuntime,
  openFifoForReading,
  parseK8sLog,
  parseRfc3339Nano,
  parseSyncMessage,
  LogFollower,
  runcErrorText,
  type AttachChunk,
  type AttachSession,
} from "./conmon.ts";

describe("k8s-file log parsing", () => {
  test("full, partial and stderr lines", () => {
    const text =
      "2026-11-28T02:00:00.000000001+00:00 stdout F hi\n" +
      "2026-11-28T02:00:00.5+01:00 stderr P par\n" +
      "2026-11-28T02:00:01.000000000-02:30 stderr F tial with  spaces \n" +
      "2026-11-28T02:00:02.000000000+00:00 stdout F \n" +
      "2026-11-28T02:00:03.000000000+00:00 stdout F torn"; // no newline: a write in progress
    const entries = parseK8sLog(text);
    assert.deepEqual(
      entries.map((e) => [e.stream, e.partial, e.text]),
      [
        ["stdout", false, "hi"],
        ["stderr", true, "par"],
        ["stderr", false, "tial with  spaces "],
        ["stdout", false, ""],
      ],
    );
    assert.equal(entries[0].time, "2026-11-28T02:00:00.000000001+00:00");
    assert.equal(entries[0].unixNano, BigInt(Date.UTC(2026, 10, 28, 2)) * 1_000_000n + 1n);
    assert.equal(entries[1].unixNano, BigInt(Date.UTC(2026, 10, 28, 1)) * 1_000_000n + 500_000_000n);
    assert.equal(entries[2].unixNano, BigInt(Date.UTC(2026, 10, 28, 4, 30, 1)) * 1_000_000n);
  });

  test("lines that are not k8s-file lines are skipped", () => {
    assert.deepEqual(parseK8sLog("garbage\n2026-11-28 stdout F x\n\n"), []);
    assert.equal(parseRfc3339Nano("2026-11-28T02:00:00Z"), BigInt(Date.UTC(2026, 10, 28, 2)) * 1_000_000n);
    assert.equal(parseRfc3339Nano("yesterday"), undefined);
  });

  test("a followed log gives each entry once, as its line is completed; a missing log has none yet", async () => {
    const dir = await mkdtemp(join(tmpdir(), "moor-log-follow-"));
    try {
      const path = join(dir, "container.log");
      const follower = new LogFollower(path);
      assert.deepEqual(await follower.next(), []);
      const texts = async () => (await follower.next()).map((entry) => `${entry.stream}:${entry.partial ? "P" : "F"}:${entry.text}`);
      await writeFile(path, "2026-11-28T02:00:00.000000001Z stdout F one\n2026-11-28T02:00:00.2Z stderr P two, first half");
      assert.deepEqual(await texts(), ["stdout:F:one"]);
      assert.deepEqual(await texts(), []);
      await writeFile(path, "\n2026-11-28T02:00:01Z stderr F  and the rest\n2026-11-28T02:00:02Z stdout F thr", { flag: "a" });
      assert.deepEqual(await texts(), ["stderr:P:two, first half", "stderr:F: and the rest"]);
      await writeFile(path, "ee\n", { flag: "a" });
      assert.deepEqual(await texts(), ["stdout:F:three"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("conmon and runc messages", () => {
  test("sync messages, including conmon's raw 0x1f", () => {
    assert.deepEqual(parseSyncMessage('{"data": 4242}'), { data: 4242 });
    assert.deepEqual(parseSyncMessage('{"data": -1, "message": "a \\"b\\"\\n"}'), { data: -1, message: 'a "b"\n' });
    assert.deepEqual(parseSyncMessage('{"data": -1, "message": "x\u001fy"}'), { data: -1, message: "x\u001fy" });
    assert.throws(() => parseSyncMessage("nonsense"), (err: unknown) => err instanceof MoorError && err.kind === "internal");
  });

  test("runc's JSON stderr gives its last error message", () => {
    const stderr =
      '{"level":"warning","msg":"something","time":"2026-11-28T03:21:44Z"}\n' +
      '{"level":"error","msg":"container not running","time":"2026-11-28T03:21:44Z"}\n';
    assert.equal(runcErrorText(stderr), "container not running");
    assert.equal(runcErrorText("plain text\n"), "plain text");
  });

  test("classification follows dockerd's start errors", () => {
    const cases: [string, string, number | undefined][] = [
      ['runc create failed: unable to start container process: exec: "x": executable file not found in $PATH', "invalid", 127],
      ['exec: "/bin/x": stat /bin/x: no such file or directory', "invalid", 127],
      ['exec: "/etc": permission denied', "invalid", 126],
      ["container does not exist", "not_found", undefined],
      ["container not running", "conflict", undefined],
      ["cannot delete container c1 that is not stopped: running", "conflict", undefined],
      ["unable to apply cgroup configuration", "internal", undefined],
    ];
    for (const [message, kind, exitCode] of cases) {
      assert.deepEqual(classifyRuntimeError(message), exitCode === undefined ? { kind } : { kind, exitCode }, message);
    }
  });
});

// Real containers: root, conmon, runc and busybox-static (Debian: apt-get install conmon runc busybox-static).
const binaries = ["/usr/bin/conmon", "/usr/sbin/runc", "/bin/busybox", "/usr/bin/perl"];
const skip = await (async () => {
  if (process.getuid?.() !== 0) return "needs root";
  for (const b of binaries) {
    try {
      await access(b);
    } catch {
      return `needs ${b}`;
    }
  }
  return false;
})();

describe("opening runc's exec FIFO", () => {
  test("the reader gets what its writer wrote; a writer that never comes is given up once it is known gone", { timeout: 10_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "moor-fifo-"));
    try {
      const fifo = join(dir, "exec.fifo");
      execFileSync("mkfifo", [fifo]);
      const writer = setTimeout(() => void open(fifo, "w").then(async (handle) => {
        await handle.write("0");
        await handle.close();
      }), 50);
      const opened = await openFifoForReading(fifo, () => false);
      assert.equal(opened.writerGone, false);
      assert.equal((await opened.handle.readFile()).toString(), "0");
      await opened.handle.close();
      clearTimeout(writer);

      let asked = 0;
      const abandoned = await openFifoForReading(fifo, () => ++asked >= 2);
      assert.equal(abandoned.writerGone, true);
      assert.equal(asked, 2, "asked every 100 ms until the writer was known gone");
      assert.equal((await abandoned.handle.readFile()).length, 0);
      await abandoned.handle.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("ConmonRuntime with real conmon and runc", { skip, concurrency: false }, () => {
  let base = "";
  let rootfs = "";
  let runtime: ConmonRuntime;
  const ids: string[] = [];
  let counter = 0;

  before(async () => {
    base = await mkdtemp("/tmp/moor-conmon-test-");
    rootfs = join(base, "rootfs");
    await mkdir(join(rootfs, "bin"), { recursive: true });
    for (const d of ["proc", "dev", "tmp"]) await mkdir(join(rootfs, d));
    await copyFile("/bin/busybox", join(rootfs, "bin", "busybox"));
    for (const applet of ["sh", "echo", "sleep", "cat", "printf", "stty"]) {
      await symlink("busybox", join(rootfs, "bin", applet));
    }
    runtime = new ConmonRuntime({ execRoot: join(base, "exec") });
  });

  after(async () => {
    if (base === "") return;
    for (const id of ids) await runtime.delete(id, { force: true }).catch(() => {});
    // Nothing of ours may remain running or mounted.
    const leftovers: string[] = [];
    for (const entry of await readdir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
      if (cmdline.includes(base)) leftovers.push(`${entry}: ${cmdline.replaceAll("\0", " ")}`);
    }
    const mounts = (await readFile("/proc/self/mountinfo", "utf8")).split("\n").filter((l) => l.includes(base));
    const runcStates = await readdir(join(base, "exec", "runc")).catch(() => []);
    await rm(base, { recursive: true, force: true });
    assert.deepEqual(leftovers, [], "processes left running");
    assert.deepEqual(mounts, [], "mounts left behind");
    assert.deepEqual(runcStates, [], "runc state left behind");
  });

  /** A bundle whose config.json is a small hand-written OCI spec running args. */
  async function bundle(args: string[], options: { terminal?: boolean } = {}): Promise<{ id: string; bundleDir: string; logPath: string }> {
    const id = `moor-test-${process.pid}-${++counter}`;
    ids.push(id);
    const bundleDir = join(base, "bundles", id);
    await mkdir(bundleDir, { recursive: true });
    const caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_SETGID", "CAP_SETUID"];
    const spec = {
      ociVersion: "1.0.2",
      process: {
        terminal: options.terminal ?? false,
        user: { uid: 0, gid: 0 },
        args,
        env: ["PATH=/bin", "TERM=xterm"],
        cwd: "/",
        capabilities: { bounding: caps, effective: caps, permitted: caps },
        noNewPrivileges: true,
      },
      root: { path: rootfs, readonly: true },
      hostname: "moor-test",
      mounts: [
        { destination: "/proc", type: "proc", source: "proc" },
        { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
        {
          destination: "/dev/pts",
          type: "devpts",
          source: "devpts",
          options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
        },
      ],
      linux: {
        namespaces: [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "network" }],
        maskedPaths: ["/proc/kcore", "/proc/keys", "/proc/timer_list"],
        readonlyPaths: ["/proc/sys", "/proc/sysrq-trigger"],
      },
    };
    await writeFile(join(bundleDir, "config.json"), JSON.stringify(spec, null, 2));
    return { id, bundleDir, logPath: join(base, "logs", `${id}.log`) };
  }

  async function run(args: string[]): Promise<{ id: string; code: number; logPath: string; conmonPid: number }> {
    const b = await bundle(args);
    await mkdir(join(base, "logs"), { recursive: true });
    const { conmonPid } = await runtime.create({ ...b, terminal: false, stdin: false });
    await runtime.start(b.id);
    const code = await runtime.waitForExit(b.id);
    return { id: b.id, code, logPath: b.logPath, conmonPid };
  }

  async function exists(path: string): Promise<boolean> {
    try {
      await lstat(path);
      return true;
    } catch {
      return false;
    }
  }

  /** conmon is reparented to pid 1 when its parent exits; it may sit as a zombie until pid 1 reaps it. */
  async function goneOrZombie(pid: number): Promise<boolean> {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
    return stat === undefined || stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  }

  /** Accumulates attach output per stream; `until` waits for a stream's text to satisfy want, then takes it. */
  function collect(session: AttachSession): (stream: "stdout" | "stderr", want: (text: string) => boolean) => Promise<string> {
    const text = { stdout: "", stderr: "" };
    session.output.on("data", (chunk: AttachChunk) => {
      text[chunk.stream] += chunk.data.toString("utf8");
    });
    return async (stream, want) => {
      const deadline = Date.now() + 10_000;
      while (!want(text[stream])) {
        if (Date.now() > deadline) assert.fail(`no matching ${stream} output; got ${JSON.stringify(text[stream])}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const taken = text[stream];
      text[stream] = "";
      return taken;
    };
  }

  test("echo hi: logged as a full stdout line, exit code 0 in the exit file", { timeout: 30_000 }, async () => {
    const { id, code, logPath, conmonPid } = await run(["echo", "hi"]);
    assert.equal(code, 0);
    // conmon writes the code to its persist dir, then to the exit dir, then exits: the wait may
    // have answered from the first.
    for (const deadline = Date.now() + 5000; !(await goneOrZombie(conmonPid)); ) {
      assert.ok(Date.now() < deadline, "conmon still running");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(await readFile(runtime.exitFilePath(id), "utf8"), "0");
    assert.equal(await runtime.exitCode(id), 0);
    const raw = await readFile(logPath, "utf8");
    assert.match(raw, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}[+-]\d{2}:\d{2} stdout F hi\n$/);
    assert.deepEqual(
      (await new LogFollower(logPath).next()).map((e) => [e.stream, e.partial, e.text]),
      [["stdout", false, "hi"]],
    );
    assert.equal((await runtime.state(id)).status, "stopped");
    await runtime.delete(id);
    await assert.rejects(runtime.state(id), (err: unknown) => err instanceof MoorError && err.kind === "not_found");
    assert.equal(await runtime.exitCode(id), undefined);
    await assert.rejects(runtime.waitForExit(id), (err: unknown) => err instanceof MoorError && err.kind === "not_found");
    await runtime.delete(id); // idempotent
  });

  test("sh -c 'exit 3' gives 3; stderr and partial lines are logged as such", { timeout: 30_000 }, async () => {
    const { id, code, logPath } = await run(["sh", "-c", "printf part; sleep 0.3; echo ial; echo oops >&2; exit 3"]);
    assert.equal(code, 3);
    assert.deepEqual(
      (await new LogFollower(logPath).next()).map((e) => [e.stream, e.partial, e.text]),
      [
        ["stdout", true, "part"],
        ["stdout", false, "ial"],
        ["stderr", false, "oops"],
      ],
    );
    await runtime.delete(id);
  });

  test("a command that does not exist fails create with runc's message and leaves nothing", { timeout: 30_000 }, async () => {
    const b = await bundle(["no-such-command"]);
    await mkdir(join(base, "logs"), { recursive: true });
    await assert.rejects(runtime.create({ ...b, terminal: false, stdin: false }), (err: unknown) => {
      assert.ok(err instanceof MoorError);
      assert.equal(err.kind, "invalid");
      assert.equal(
        err.message,
        'runc create failed: unable to start container process: exec: "no-such-command": executable file not found in $PATH',
      );
      assert.equal(classifyRuntimeError(err.message).exitCode, 127);
      return true;
    });
    await assert.rejects(runtime.state(b.id), (err: unknown) => err instanceof MoorError && err.kind === "not_found");
    assert.equal(await runtime.exitCode(b.id), undefined);
    assert.equal(await exists(join(base, "exec", "conmon", b.id)), false);
    assert.equal(await exists(join(base, "exec", "attach", b.id)), false);
    assert.deepEqual(await readdir(b.bundleDir), ["config.json"]);
  });

  test("sleep 100 killed with SIGKILL exits 137; non-forced delete of a running container is a conflict", { timeout: 30_000 }, async () => {
    const b = await bundle(["sleep", "100"]);
    await mkdir(join(base, "logs"), { recursive: true });
    const created = await runtime.create({ ...b, terminal: false, stdin: false });
    assert.equal((await runtime.state(b.id)).status, "created");
    assert.equal((await runtime.state(b.id)).pid, created.pid);
    assert.equal(await runtime.conmonPid(b.id), created.conmonPid);
    await runtime.start(b.id);
    assert.equal((await runtime.state(b.id)).status, "running", "runc itself sees the container started");
    assert.equal(await runtime.exitCode(b.id), undefined);
    await assert.rejects(runtime.start(b.id), (err: unknown) => err instanceof MoorError && err.kind === "conflict" && err.message === "cannot start an already running container");
    await assert.rejects(runtime.delete(b.id), (err: unknown) => err instanceof MoorError && err.kind === "conflict");
    await runtime.kill(b.id, 9);
    assert.equal(await runtime.waitForExit(b.id), 137);
    await assert.rejects(runtime.kill(b.id, 9), (err: unknown) => err instanceof MoorError && err.kind === "conflict");
    await runtime.delete(b.id);
  });

  test("deleting a stopped container removes its cgroups, one made inside them included, and runc's state", { timeout: 30_000 }, async () => {
    const b = await bundle(["sleep", "100"]);
    await mkdir(join(base, "logs"), { recursive: true });
    await runtime.create({ ...b, terminal: false, stdin: false });
    await runtime.start(b.id);
    const stateDir = join(base, "exec", "runc", b.id);
    const state = JSON.parse(await readFile(join(stateDir, "state.json"), "utf8")) as { cgroup_paths: Record<string, string> };
    const cgroups = [...new Set(Object.values(state.cgroup_paths))];
    assert.ok(cgroups.length > 0, "runc made cgroups");
    for (const path of cgroups) assert.ok(await exists(path), `${path} exists while the container runs`);
    // As a privileged container may make one.
    const nested = join(cgroups[0], "nested");
    await mkdir(nested);
    await runtime.kill(b.id, 9);
    assert.equal(await runtime.waitForExit(b.id), 137);
    await runtime.delete(b.id);
    for (const path of [...cgroups, nested]) assert.equal(await exists(path), false, `${path} removed`);
    assert.equal(await exists(stateDir), false, "runc's state removed");
  });

  test("a container whose init died before its start is not started: runc's error, and its exit is recorded", { timeout: 30_000 }, async () => {
    const b = await bundle(["sleep", "100"]);
    await mkdir(join(base, "logs"), { recursive: true });
    const created = await runtime.create({ ...b, terminal: false, stdin: false });
    process.kill(created.pid, "SIGKILL");
    assert.equal(await runtime.waitForExit(b.id), 137);
    await assert.rejects(runtime.start(b.id), (err: unknown) => err instanceof MoorError && err.kind === "conflict" && err.message === "cannot start a container that has stopped");
    await runtime.delete(b.id);
    await assert.rejects(runtime.start(b.id), (err: unknown) => err instanceof MoorError && err.kind === "not_found");
  });

  test("kill signals only the process runc started: a recorded start time that does not match (a reused pid) is not running", { timeout: 30_000 }, async () => {
    const b = await bundle(["sleep", "100"]);
    await mkdir(join(base, "logs"), { recursive: true });
    const created = await runtime.create({ ...b, terminal: false, stdin: false });
    await runtime.start(b.id);
    const statePath = join(base, "exec", "runc", b.id, "state.json");
    const state = await readFile(statePath, "utf8");
    const recorded = JSON.parse(state) as { init_process_pid: number; init_process_start: number };
    assert.equal(recorded.init_process_pid, created.pid);
    await writeFile(statePath, JSON.stringify({ ...recorded, init_process_start: recorded.init_process_start + 1 }));
    await assert.rejects(runtime.kill(b.id, 9), (err: unknown) => err instanceof MoorError && err.kind === "conflict" && err.message === "container not running");
    process.kill(created.pid, 0); // untouched
    await writeFile(statePath, state);
    await runtime.kill(b.id, 15);
    // sleep as the namespace's init has no handler for SIGTERM: the kernel drops it.
    process.kill(created.pid, 0);
    await runtime.kill(b.id, 9);
    assert.equal(await runtime.waitForExit(b.id), 137);
    await runtime.delete(b.id);
    await assert.rejects(runtime.kill(b.id, 9), (err: unknown) => err instanceof MoorError && err.kind === "not_found");
  });

  test("the container outlives the process that started it", { timeout: 60_000 }, async () => {
    const b = await bundle(["sleep", "100"]);
    await mkdir(join(base, "logs"), { recursive: true });
    const child = join(base, "child.mts");
    await writeFile(
      child,
      `import { ConmonRuntime } from ${JSON.stringify(new URL("./conmon.ts", import.meta.url).pathname)};\n` +
        `const [execRoot, id, bundleDir, logPath] = process.argv.slice(2);\n` +
        `const runtime = new ConmonRuntime({ execRoot });\n` +
        `const created = await runtime.create({ id, bundleDir, logPath, terminal: false, stdin: false });\n` +
        `await runtime.start(id);\n` +
        `process.stdout.write(JSON.stringify({ ...created, self: process.pid }));\n`,
    );
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ["--import", "tsx", child, runtime.execRoot, b.id, b.bundleDir, b.logPath],
        { cwd: new URL("../../..", import.meta.url).pathname, timeout: 30_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    const { pid, conmonPid, self } = JSON.parse(out) as { pid: number; conmonPid: number; self: number };
    // execFile resolved: the Node process that spawned conmon has exited.
    assert.throws(() => process.kill(self, 0), { code: "ESRCH" });
    const state = await runtime.state(b.id);
    assert.equal(state.status, "running");
    assert.equal(state.pid, pid);
    assert.equal(await runtime.conmonPid(b.id), conmonPid);
    const stat = await readFile(`/proc/${conmonPid}/stat`, "utf8");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    assert.notEqual(ppid, self);
    process.kill(pid, 0); // alive
    await runtime.kill(b.id, 9);
    assert.equal(await runtime.waitForExit(b.id), 137);
    await runtime.delete(b.id);
  });

  test("stdin through the attach socket: cat echoes it; closing stdin ends cat", { timeout: 30_000 }, async () => {
    const b = await bundle(["sh", "-c", "cat; echo done >&2"]);
    await mkdir(join(base, "logs"), { recursive: true });
    await runtime.create({ ...b, terminal: false, stdin: true, stdinOnce: true });
    assert.equal(runtime.attachSocketPath(b.id), join(base, "exec", "attach", b.id, "attach"));
    await runtime.start(b.id);
    const session = await runtime.attach(b.id, { stdin: true });
    const until = collect(session);
    session.stdin?.write("hello\n");
    assert.equal(await until("stdout", (t) => t.includes("\n")), "hello\n");
    session.stdin?.write("second line\n");
    assert.equal(await until("stdout", (t) => t.includes("\n")), "second line\n");
    session.stdin?.end(); // conmon closes the container's stdin: cat sees EOF
    assert.equal(await until("stderr", (t) => t.includes("\n")), "done\n");
    assert.equal(await runtime.waitForExit(b.id), 0);
    await session.closed;
    assert.deepEqual(
      (await new LogFollower(b.logPath).next()).map((e) => [e.stream, e.text]),
      [
        ["stdout", "hello"],
        ["stdout", "second line"],
        ["stderr", "done"],
      ],
    );
    await runtime.delete(b.id);
    await assert.rejects(runtime.attach(b.id), (err: unknown) => err instanceof MoorError && err.kind === "conflict");
  });

  test("a terminal container: resize through the ctl fifo, output on stdout", { timeout: 30_000 }, async () => {
    const b = await bundle(["sh", "-c", "read line; stty size"], { terminal: true });
    await mkdir(join(base, "logs"), { recursive: true });
    await runtime.create({ ...b, terminal: true, stdin: true, stdinOnce: true });
    await runtime.resize(b.id, { height: 40, width: 100 });
    await runtime.start(b.id);
    const session = await runtime.attach(b.id, { stdin: true });
    const until = collect(session);
    session.stdin?.write("go\n");
    assert.match(await until("stdout", (t) => t.includes("40 100")), /40 100/);
    assert.equal(await runtime.waitForExit(b.id), 0);
    session.detach();
    await session.closed;
    await runtime.delete(b.id);
  });

  /** The OCI process of an exec into a bundle's container: the container's own, with other args. */
  async function execProcess(b: { bundleDir: string }, args: string[], terminal = false): Promise<Record<string, unknown>> {
    const spec = JSON.parse(await readFile(join(b.bundleDir, "config.json"), "utf8")) as { process: Record<string, unknown> };
    return { ...spec.process, args, terminal };
  }

  test("exec: output and stdin through the session's attach socket, exit code in its exit file", { timeout: 30_000 }, async () => {
    const b = await bundle(["sleep", "100"]);
    await mkdir(join(base, "logs"), { recursive: true });
    await runtime.create({ ...b, terminal: false, stdin: false });
    await runtime.start(b.id);
    const execId = `${b.id}-exec`;
    const prepared = await runtime.prepareExec({ containerId: b.id, execId, process: await execProcess(b, ["sh", "-c", "read x; echo got $x; echo err >&2; exit 5"]), terminal: false, stdin: true });
    const session = await runtime.attach(execId, { stdin: true });
    const until = collect(session);
    const pid = await prepared.start();
    assert.ok(pid > 0);
    session.stdin?.write("word\n");
    session.stdin?.end();
    assert.equal(await until("stdout", (t) => t.includes("\n")), "got word\n");
    assert.equal(await until("stderr", (t) => t.includes("\n")), "err\n");
    assert.equal(await runtime.waitForExit(execId), 5);
    assert.equal(await runtime.exitCode(b.id), undefined, "an exec's exit is not the container's");
    await session.closed;
    await runtime.deleteExec(execId);
    assert.equal(await exists(join(base, "exec", "conmon", execId)), false);
    assert.equal(await exists(join(base, "exec", "exec", execId)), false);
    assert.equal(await runtime.exitCode(execId), undefined);
    assert.equal((await runtime.state(b.id)).status, "running", "the container outlives its exec");
    await runtime.delete(b.id, { force: true });
  });

  test("exec of a missing command fails at start with runc's message", { timeout: 30_000 }, async () => {
    const b = await bundle(["sleep", "100"]);
    await mkdir(join(base, "logs"), { recursive: true });
    await runtime.create({ ...b, terminal: false, stdin: false });
    await runtime.start(b.id);
    const execId = `${b.id}-exec`;
    const prepared = await runtime.prepareExec({ containerId: b.id, execId, process: await execProcess(b, ["nonexistent"]), terminal: false, stdin: false });
    await assert.rejects(prepared.start(), (err: unknown) => err instanceof MoorError && /executable file not found/.test(err.message) && classifyRuntimeError(err.message).exitCode === 127);
    assert.equal(await exists(join(base, "exec", "conmon", execId)), false, "a failed exec leaves no files");
    await runtime.delete(b.id, { force: true });
  });

  test("forced delete kills a running container and removes every file", { timeout: 30_000 }, async () => {
    const b = await bundle(["sleep", "100"]);
    await mkdir(join(base, "logs"), { recursive: true });
    const created = await runtime.create({ ...b, terminal: false, stdin: true });
    await runtime.start(b.id);
    await runtime.delete(b.id, { force: true });
    assert.ok(await goneOrZombie(created.pid), "container init still running");
    assert.ok(await goneOrZombie(created.conmonPid), "conmon still running");
    assert.equal(await runtime.exitCode(b.id), undefined);
    assert.equal(await exists(join(base, "exec", "conmon", b.id)), false);
    assert.equal(await exists(join(base, "exec", "attach", b.id)), false);
    assert.deepEqual(await readdir(b.bundleDir), ["config.json"]);
  });
});
