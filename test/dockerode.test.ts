// dockerode, the Node client most tools build on, against moor: create, hijacked attach with
// stdin, start, wait, logs, inspect and remove, as dockerode's own users call them. Needs
// root, busybox-static and a built binary.
import assert from "node:assert/strict";
import { PassThrough, type Readable } from "node:stream";
import { test } from "node:test";
import Docker from "dockerode";
import { importBusybox, useEngine } from "./support/engine.ts";

const engine = useEngine((started) => importBusybox(started, { changes: ['CMD ["/bin/sh"]'] }));

/** Splits a multiplexed stream with dockerode's own demuxer; resolves at the stream's end. */
function demultiplex(docker: Docker, stream: Readable): Promise<{ stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => out.push(chunk));
  stderr.on("data", (chunk: Buffer) => err.push(chunk));
  docker.modem.demuxStream(stream, stdout, stderr);
  return new Promise((resolveStreams, reject) => {
    stream.on("error", reject);
    stream.on("end", () => resolveStreams({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

test("dockerode: attach with stdin before start, demultiplexed output, wait, logs, inspect, remove", { timeout: 60_000 }, async () => {
  const client = new Docker({ socketPath: engine().socket });
  const container = await client.createContainer({
    Image: "busybox",
    name: "dockerode-attach",
    // Output before reading stdin proves the attach was in place before the process started.
    Cmd: ["sh", "-c", 'echo begin; read line; echo "out $line"; echo "err $line" >&2; exit 3'],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
  });
  assert.match(container.id, /^[0-9a-f]{64}$/);

  const stream = (await container.attach({ stream: true, stdout: true, stderr: true, stdin: true, hijack: true })) as unknown as NodeJS.ReadWriteStream & Readable;
  const output = demultiplex(client, stream);
  await container.start();
  stream.write("hello\n");
  stream.end();
  const exit = (await container.wait()) as { StatusCode: number };
  assert.deepEqual(await output, { stdout: "begin\nout hello\n", stderr: "err hello\n" });
  assert.equal(exit.StatusCode, 3);

  const logs = (await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as Readable;
  assert.deepEqual(await demultiplex(client, logs), { stdout: "begin\nout hello\n", stderr: "err hello\n" });
  const onlyStderr = (await container.logs({ follow: false, stdout: false, stderr: true })) as unknown as Buffer;
  assert.deepEqual(onlyStderr, Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 10]), Buffer.from("err hello\n")]), "a non-following logs call is one multiplexed buffer");

  const inspected = await container.inspect();
  assert.equal(inspected.Id, container.id);
  assert.equal(inspected.Name, "/dockerode-attach");
  assert.equal(inspected.State.Status, "exited");
  assert.equal(inspected.State.Running, false);
  assert.equal(inspected.State.ExitCode, 3);
  assert.deepEqual(inspected.Config.Cmd, ["sh", "-c", 'echo begin; read line; echo "out $line"; echo "err $line" >&2; exit 3']);
  assert.equal(inspected.Config.OpenStdin, true);

  await container.remove();
  await assert.rejects(container.inspect(), (err: { statusCode?: number; message: string }) => {
    assert.equal(err.statusCode, 404);
    assert.match(err.message, /No such container: [0-9a-f]{64}/);
    return true;
  });
});

/** Everything written to a stream until it ends. */
function collect(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolveText) => stream.on("end", () => resolveText(Buffer.concat(chunks).toString())));
}

test("dockerode: docker.run() attaches without hijacking, demultiplexes, and resolves with the exit code", { timeout: 60_000 }, async () => {
  const client = new Docker({ socketPath: engine().socket });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const texts = Promise.all([collect(stdout), collect(stderr)]);
  const [result, container] = (await client.run("busybox", ["sh", "-c", "echo to-out; echo to-err >&2; exit 5"], [stdout, stderr], { Tty: false })) as [
    { StatusCode: number },
    Docker.Container,
  ];
  assert.equal(result.StatusCode, 5);
  assert.deepEqual(await texts, ["to-out\n", "to-err\n"]);
  await container.remove();

  // dockerode's default is a TTY: one raw stream, with the terminal's line endings.
  const terminal = new PassThrough();
  const text = collect(terminal);
  const [ttyResult, ttyContainer] = (await client.run("busybox", ["sh", "-c", "echo on-tty; exit 4"], terminal)) as [{ StatusCode: number }, Docker.Container];
  assert.equal(ttyResult.StatusCode, 4);
  assert.equal(await text, "on-tty\r\n");
  await ttyContainer.remove();
});

test("dockerode: listContainers and a running container's stop and forced remove", { timeout: 60_000 }, async () => {
  const client = new Docker({ socketPath: engine().socket });
  const container = await client.createContainer({ Image: "busybox", Cmd: ["sleep", "1000"], Labels: { suite: "dockerode" } });
  await container.start();
  const listed = await client.listContainers({ filters: { label: ["suite=dockerode"] } });
  assert.deepEqual(listed.map((c) => [c.Id, c.State]), [[container.id, "running"]]);
  await container.stop({ t: 0 });
  assert.equal((await container.inspect()).State.Status, "exited");
  await container.remove({ force: true, v: true });
  assert.deepEqual(await client.listContainers({ all: true, filters: { label: ["suite=dockerode"] } }), []);
});
