// An engine killed (kill -9) in the middle of a restore (streamed to it, or read from the
// client's file): once it starts again the target volume holds its old data, no new volume was
// made, and no staging directory is left. Killed
// in the middle of a scheduled backup: the run is recorded as interrupted, its partial archive
// removed, and the schedule runs again. Killed during a clone: the source is intact and no
// clone is half made. Killed while it writes a backup into the CLI's file: the CLI fails, and
// neither the archive nor its partial file is left. A disk that fills up during a restore or a clone: the
// target is as it was, no volume is half made, and the space is given back.
// Needs root, GNU tar, zstd and a built binary.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { api, moor, moorBin, onSmallDisk, startEngine, type TestEngine } from "./support/engine.ts";

async function ok(engine: TestEngine, args: string[]): Promise<string> {
  const result = await moor(engine, args);
  assert.equal(result.code, 0, `moor ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** The engines of one test: the newest, and another started on the same root once the test killed it. */
interface Engines {
  current(): TestEngine;
  restart(): Promise<void>;
}

/** Runs `body` with an engine and a scratch directory; every engine it started is stopped and removed after, and the directory too. */
async function withEngines(body: (engines: Engines, work: string) => Promise<void>): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "moor-volume-crash-"));
  const started = [await startEngine()];
  const engines: Engines = {
    current: () => started.at(-1)!,
    restart: async () => {
      started.push(await startEngine({ root: started[0].root, execRoot: started[0].execRoot }));
    },
  };
  try {
    await body(engines, work);
  } finally {
    await engines.current().stop();
    for (const engine of started) engine.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Runs `moor args` (given `input` on its stdin, left open), kills the engine (kill -9) while the
 * operation's staging directory exists, kills the CLI, and starts a new engine on the same root.
 */
async function crashWhileStaging(engines: Engines, args: string[], input?: Buffer): Promise<void> {
  const engine = engines.current();
  const cli = spawn(moorBin, args, { env: { ...process.env, MOOR_HOST: engine.host }, stdio: [input === undefined ? "ignore" : "pipe", "ignore", "ignore"] });
  if (input !== undefined) {
    cli.stdin!.on("error", () => {});
    cli.stdin!.write(input);
  }
  const volumesDir = join(engine.root, "volumes");
  const staging = () => readdirSync(volumesDir).some((entry) => entry.startsWith(".restore-"));
  const deadline = Date.now() + 30_000;
  while (!staging()) {
    assert.ok(Date.now() < deadline, `moor ${args.join(" ")} never began`);
    await new Promise((wait) => setTimeout(wait, 5));
  }
  // Given part of its archive only, a restore cannot finish: it unpacks some first. Otherwise
  // the engine is frozen (SIGSTOP) at once, so that the operation cannot finish before the kill.
  if (input !== undefined) await new Promise((wait) => setTimeout(wait, 200));
  engine.process.kill("SIGSTOP");
  assert.ok(staging(), `moor ${args.join(" ")} was still under way when the engine stopped`);
  await engine.kill();
  cli.kill("SIGKILL");
  await engines.restart();
}

async function stagingLeft(engine: TestEngine): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const left = readdirSync(join(engine.root, "volumes")).some((entry) => entry.startsWith(".restore-") || entry.startsWith(".trash-"));
    if (!left || Date.now() > deadline) return left;
    await new Promise((wait) => setTimeout(wait, 50));
  }
}

test("kill -9 of the engine during a restore leaves the volume as it was, and makes no volume", async () => {
  await withEngines(async (engines, work) => {
    const current = engines.current;
    await ok(current(), ["volume", "create", "big"]);
    const bigData = (await ok(current(), ["volume", "inspect", "--format", "{{.Mountpoint}}", "big"])).trim();
    writeFileSync(join(bigData, "random"), randomBytes(32 << 20));
    const archiveFile = join(work, "big.tar.zst");
    await ok(current(), ["volume", "backup", "big", "-o", archiveFile]);
    const archive = readFileSync(archiveFile);
    await ok(current(), ["volume", "create", "target"]);
    const targetData = (await ok(current(), ["volume", "inspect", "--format", "{{.Mountpoint}}", "target"])).trim();
    writeFileSync(join(targetData, "old"), "old data\n");

    await crashWhileStaging(engines, ["volume", "restore", "--force", "-", "target"], archive.subarray(0, archive.length >> 1));
    assert.deepEqual(readdirSync(targetData), ["old"], "the target keeps its old data");
    assert.equal(await stagingLeft(current()), false, "the staging directory is removed");

    await crashWhileStaging(engines, ["volume", "restore", "-", "fresh"], archive.subarray(0, archive.length >> 1));
    assert.equal((await moor(current(), ["volume", "inspect", "fresh"])).code, 1, "no half-made volume");
    assert.equal(await stagingLeft(current()), false);

    await ok(current(), ["volume", "restore", "--force", archiveFile, "target"]);
    assert.ok(existsSync(join(targetData, "random")), "a whole restore still works afterwards");
  });
});

test("kill -9 of the engine during a restore it reads from the client's file makes no volume and leaves no staging directory", async () => {
  await withEngines(async (engines, work) => {
    const current = engines.current;
    await ok(current(), ["volume", "create", "large"]);
    const largeData = (await ok(current(), ["volume", "inspect", "--format", "{{.Mountpoint}}", "large"])).trim();
    // Large enough that the restore is still unpacking well after its staging directory appears.
    for (let part = 0; part < 4; part++) writeFileSync(join(largeData, `random-${part}`), randomBytes(32 << 20));
    const archiveFile = join(work, "large.tar.zst");
    await ok(current(), ["volume", "backup", "large", "-o", archiveFile]);

    await crashWhileStaging(engines, ["volume", "restore", archiveFile, "restored"]);
    assert.equal((await moor(current(), ["volume", "inspect", "restored"])).code, 1, "no half-made volume");
    assert.equal(await stagingLeft(current()), false, "the staging directory is removed");
    await ok(current(), ["volume", "restore", archiveFile, "restored"]);
    const restoredData = (await ok(current(), ["volume", "inspect", "--format", "{{.Mountpoint}}", "restored"])).trim();
    assert.ok(readFileSync(join(restoredData, "random-3")).equals(readFileSync(join(largeData, "random-3"))), "a whole restore from the file works afterwards");
  });
});

test("kill -9 of the engine during a scheduled backup: the run is recorded as interrupted, its partial archive removed", async () => {
  await withEngines(async (engines, work) => {
    const current = engines.current;
    await ok(current(), ["volume", "create", "nightly"]);
    const data = (await ok(current(), ["volume", "inspect", "--format", "{{.Mountpoint}}", "nightly"])).trim();
    writeFileSync(join(data, "random"), randomBytes(64 << 20));
    const set = await api(current(), "PUT", "/v1.45/moor/volumes/nightly/backup-schedule", { Schedule: "* * * * * *", Keep: 3, Target: work, Writers: "refuse" });
    assert.equal(set.status, 200, set.body);

    // Frozen (SIGSTOP) while a partial archive exists, the engine cannot finish that run; a run
    // that finished between the look and the freeze lets it go on to the next one.
    const partial = () => readdirSync(work).find((name) => name.endsWith(".partial"));
    const deadline = Date.now() + 60_000;
    for (;;) {
      assert.ok(Date.now() < deadline, "a run was caught under way");
      if (partial() !== undefined) {
        current().process.kill("SIGSTOP");
        if (partial() !== undefined) break;
        current().process.kill("SIGCONT");
      }
      await new Promise((wait) => setTimeout(wait, 10));
    }
    const caught = partial()!;
    await current().kill();
    await engines.restart();

    assert.equal(existsSync(join(work, caught)), false, "the partial archive is removed");
    const report = JSON.parse((await api(current(), "GET", "/v1.45/moor/volumes/nightly/backups")).body) as { Runs: Array<{ Status: string; File: string; Error: string | null }> };
    const interrupted = report.Runs.find((run) => `${run.File}.partial` === join(work, caught));
    assert.deepEqual(interrupted && [interrupted.Status, interrupted.Error], ["interrupted", "the engine stopped during the backup; its partial archive was removed"]);
    for (let waited = 0; !(await backupsAfter(current(), interrupted!.File)); waited += 100) {
      assert.ok(waited < 30_000, "the schedule runs again after the restart");
      await new Promise((wait) => setTimeout(wait, 100));
    }
    await api(current(), "DELETE", "/v1.45/moor/volumes/nightly/backup-schedule");
  });
});

/** Whether a run newer than the one that wrote `file` finished well. */
async function backupsAfter(engine: TestEngine, file: string): Promise<boolean> {
  const { Runs } = JSON.parse((await api(engine, "GET", "/v1.45/moor/volumes/nightly/backups")).body) as { Runs: Array<{ Status: string; File: string }> };
  return Runs.some((run) => run.Status === "ok" && run.File > file);
}

test("a disk that fills up during a restore or a clone leaves the target as it was, no half-made volume, and the space free again", async () => {
  await onSmallDisk(64, async (engine, root, work) => {
    const mountpoint = async (name: string) => (await ok(engine, ["volume", "inspect", "--format", "{{.Mountpoint}}", name])).trim();
    await ok(engine, ["volume", "create", "big"]);
    writeFileSync(join(await mountpoint("big"), "random"), randomBytes(40 << 20));
    const archive = join(work, "big.tar.zst");
    await ok(engine, ["volume", "backup", "big", "-o", archive]);
    await ok(engine, ["volume", "rm", "big"]);
    await ok(engine, ["volume", "create", "filler"]);
    writeFileSync(join(await mountpoint("filler"), "random"), randomBytes(36 << 20));
    await ok(engine, ["volume", "create", "target"]);
    const target = await mountpoint("target");
    writeFileSync(join(target, "old"), "old data\n");
    const free = () => statfsSync(root).bavail;
    const freeBefore = free();

    const attempts: Array<[string[], string]> = [
      [["volume", "restore", "--force", archive, "target"], "target"],
      [["volume", "restore", archive, "fresh"], "fresh"],
      [["volume", "clone", "filler", "filler-copy"], "filler-copy"],
    ];
    for (const [args, made] of attempts) {
      const result = await moor(engine, args);
      assert.equal(result.code, 1, args.join(" "));
      assert.match(result.stderr, /^Error response from daemon: the disk holding the volumes is full: there is no room for .* \(No space left on device\)\. Nothing was changed; free some space and try again\n$/, args.join(" "));
      assert.equal(free(), freeBefore, `${args.join(" ")}: the space is free again`);
      if (made !== "target") assert.equal((await moor(engine, ["volume", "inspect", made])).code, 1, `${args.join(" ")}: no volume ${made}`);
    }
    assert.deepEqual(readdirSync(target), ["old"]);
    assert.equal(readFileSync(join(target, "old"), "utf8"), "old data\n", "the target kept its data");
    assert.deepEqual(readdirSync(join(root, "volumes")).filter((entry) => entry.startsWith(".")), [], "no staging directory left");
  });
});

test("kill -9 of the engine during a clone leaves the source as it was and no half-made clone", async () => {
  await withEngines(async (engines) => {
    const current = engines.current;
    await ok(current(), ["volume", "create", "--label", "tier=db", "source"]);
    const source = (await ok(current(), ["volume", "inspect", "--format", "{{.Mountpoint}}", "source"])).trim();
    const content = randomBytes(96 << 20);
    writeFileSync(join(source, "random"), content);
    await crashWhileStaging(engines, ["volume", "clone", "source", "copy"]);

    assert.equal((await moor(current(), ["volume", "inspect", "copy"])).code, 1, "no half-made clone");
    assert.equal(await stagingLeft(current()), false, "the staging directory is removed");
    assert.ok(readFileSync(join(source, "random")).equals(content), "the source is intact");
    assert.equal(await ok(current(), ["volume", "clone", "source", "copy"]), "copy\n", "a clone works afterwards");
  });
});

test("kill -9 of the engine while it writes a backup into the CLI's file: the CLI fails and leaves no file, the volume intact", async () => {
  await withEngines(async (engines, out) => {
    const current = engines.current;
    await ok(current(), ["volume", "create", "data"]);
    const mountpoint = (await ok(current(), ["volume", "inspect", "--format", "{{.Mountpoint}}", "data"])).trim();
    const content = randomBytes(96 << 20);
    writeFileSync(join(mountpoint, "random"), content);

    const backup = spawn(moorBin, ["volume", "backup", "data", "-o", join(out, "data.tar.zst")], { env: { ...process.env, MOOR_HOST: current().host }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    backup.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => backup.on("close", resolve));
    // The engine writes the partial file itself: caught once a few MiB of the archive are in it.
    const deadline = Date.now() + 30_000;
    const written = () => readdirSync(out).some((entry) => entry.includes(".partial-") && (statSync(join(out, entry), { throwIfNoEntry: false })?.size ?? 0) > 4 << 20);
    while (!written()) {
      assert.ok(Date.now() < deadline, "the backup never started writing");
      await new Promise((wait) => setTimeout(wait, 10));
    }
    current().process.kill("SIGSTOP");
    await current().kill();
    assert.notEqual(await exited, 0, "the CLI fails");
    assert.match(stderr, /^backup of data failed: lost the connection to unix:\/\/\S+ before the engine answered; no archive was written\n$/);
    assert.deepEqual(readdirSync(out), [], "neither the archive nor its partial file is left");

    await engines.restart();
    assert.ok(readFileSync(join(mountpoint, "random")).equals(content), "the volume is intact");
    await ok(current(), ["volume", "backup", "data", "-o", join(out, "data.tar.zst")]);
    assert.match(await ok(current(), ["volume", "verify", join(out, "data.tar.zst")]), /^OK: volume data, 1 files/);
  });
});
