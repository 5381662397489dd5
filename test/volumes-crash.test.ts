// kill -9 of the engine in the middle of volume creates and removes: after a restart every
// volume is whole (row and directory) or gone, and the engine starts cleanly. A disk filled up
// to its last block: a volume's removal still works.
// Needs root and a built binary.
import assert from "node:assert/strict";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { api, docker, onSmallDisk, startEngine, type TestEngine } from "./support/engine.ts";

/** Every listed volume has its _data directory, and every volume directory is listed. */
async function assertWhole(engine: TestEngine): Promise<string[]> {
  const listed = (JSON.parse((await api(engine, "GET", "/volumes")).body).Volumes as Array<{ Name: string; Mountpoint: string }>);
  for (const volume of listed) assert.equal(existsSync(volume.Mountpoint), true, `${volume.Name} is listed but has no data directory`);
  const onDisk = readdirSync(join(engine.root, "volumes"));
  assert.deepEqual(onDisk.sort(), listed.map((v) => v.Name).sort(), "directories and listed volumes match");
  return listed.map((v) => v.Name);
}

for (const delayMs of [10, 100, 250]) {
  test(`kill -9 ${delayMs} ms into 300 creates and removes leaves whole volumes only`, async (t) => {
    const first = await startEngine();
    let second: TestEngine | undefined;
    try {
      for (let i = 0; i < 50; i++) await api(first, "POST", "/volumes/create", { Name: `old${i}` });
      const work: Array<Promise<unknown>> = [];
      for (let i = 0; i < 300; i++) {
        work.push(api(first, "POST", "/volumes/create", { Name: `new${i}`, Labels: { n: String(i) } }));
        if (i < 50) work.push(api(first, "DELETE", `/volumes/old${i}`));
      }
      await new Promise((r) => setTimeout(r, delayMs));
      await first.kill();
      await Promise.all(work);

      second = await startEngine({ root: first.root });
      const names = await assertWhole(second);
      t.diagnostic(`after kill at ${delayMs} ms: ${names.filter((n) => n.startsWith("new")).length} new, ${names.filter((n) => n.startsWith("old")).length} old`);
      for (const name of names.filter((n) => n.startsWith("new"))) {
        const volume = JSON.parse((await api(second, "GET", `/volumes/${name}`)).body);
        assert.deepEqual(volume.Labels, { n: name.slice(3) }, "a volume that survived keeps its labels");
      }
      assert.doesNotMatch(second.logs(), /"level":(50|60)/, "no errors at restart");
    } finally {
      await first.kill();
      if (second) {
        await second.stop();
        second.cleanup();
      }
      first.cleanup();
    }
  });
}

test("a volume directory found without metadata is adopted at start, as dockerd does", async () => {
  const first = await startEngine();
  let second: TestEngine | undefined;
  try {
    await first.stop();
    mkdirSync(join(first.root, "volumes", "carried-over", "_data"), { recursive: true });
    writeFileSync(join(first.root, "volumes", "carried-over", "_data", "keep"), "data");
    second = await startEngine({ root: first.root });
    const volume = JSON.parse((await api(second, "GET", "/volumes/carried-over")).body);
    assert.equal(volume.Name, "carried-over");
    assert.equal(volume.Driver, "local");
    assert.equal(volume.Labels, null);
  } finally {
    if (second) {
      await second.stop();
      second.cleanup();
    }
    first.cleanup();
  }
});

test("on a full disk a volume's removal still works: the engine gives up its space reserve, and makes it again once there is room", async () => {
  await onSmallDisk(48, async (engine, root) => {
    const reserve = join(root, "space-reserve");
    assert.equal(statSync(reserve).size, 8 << 20, "the engine reserves space at start");
    assert.equal((await docker(engine, ["volume", "create", "filler"])).code, 0);
    const data = (await docker(engine, ["volume", "inspect", "--format", "{{.Mountpoint}}", "filler"])).stdout.trim();
    // Filled from the host to the last block, as a container writing to the volume would fill it.
    const fd = openSync(join(data, "big"), "w");
    try {
      const chunk = Buffer.alloc(1 << 20, 1);
      for (;;) writeSync(fd, chunk);
    } catch (err) {
      assert.equal((err as NodeJS.ErrnoException).code, "ENOSPC");
    } finally {
      closeSync(fd);
    }

    const removed = await docker(engine, ["volume", "rm", "filler"]);
    assert.deepEqual([removed.code, removed.stdout, removed.stderr], [0, "filler\n", ""], "removed on a full disk");
    assert.equal(existsSync(reserve), false, "the reserve was given up");
    assert.match(engine.logs(), /the disk holding moor's data is full: gave up the space reserved for the engine's metadata/);
    // The data goes in the background; a later request with room makes the reserve again.
    const deadline = Date.now() + 10_000;
    while (!existsSync(reserve)) {
      assert.ok(Date.now() < deadline, "the reserve is made again once there is room");
      await new Promise((wait) => setTimeout(wait, 100));
      assert.equal((await docker(engine, ["volume", "ls", "-q"])).code, 0);
    }
    assert.equal(statSync(reserve).size, 8 << 20);
  });
});
