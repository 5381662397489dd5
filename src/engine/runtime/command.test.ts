import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pipeCommands, streamPipeline } from "./command.ts";

const dir = mkdtempSync(join(tmpdir(), "moor-command-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs pipeCommands into a new file; resolves to what the file holds, or rejects as it does. */
async function intoFile(name: string, ...args: Parameters<typeof pipeCommands>): Promise<string> {
  const path = join(dir, name);
  const fd = openSync(path, "w");
  try {
    await pipeCommands(args[0], args[1], { ...args[2], stdout: fd });
  } finally {
    closeSync(fd);
  }
  return readFileSync(path, "utf8");
}

test("producer | consumer, then the trailer once the producer is done, into a file or as a stream", async () => {
  let producerPid: number | undefined;
  const trailer = async () => Buffer.from(" and the trailer");
  assert.equal(await intoFile("plain", ["printf", ["from the producer"]], ["cat", []], { trailer, started: (pid) => (producerPid = pid) }), "from the producer and the trailer");
  assert.ok(producerPid !== undefined && producerPid > 0, "started gets the producer's pid");

  const chunks: Buffer[] = [];
  for await (const chunk of streamPipeline(["printf", ["streamed"]], ["tr", ["a-z", "A-Z"]], { trailer })) chunks.push(chunk);
  assert.equal(Buffer.concat(chunks).toString(), "STREAMED AND THE TRAILER");
});

test("the error reported: the trailer's, the producer's (trailer not asked), or the consumer's", async () => {
  await assert.rejects(
    intoFile("trailer-fails", ["printf", ["x"]], ["cat", []], {
      trailer: async () => {
        throw new Error("the trailer's own failure");
      },
    }),
    /the trailer's own failure/,
  );

  let asked = false;
  await assert.rejects(
    intoFile("producer-fails", ["sh", ["-c", "printf partial; echo producer broke >&2; exit 3"]], ["cat", []], {
      trailer: async () => {
        asked = true;
        return Buffer.from("never");
      },
    }),
    /producer broke/,
  );
  assert.equal(asked, false);

  await assert.rejects(intoFile("consumer-fails", ["sh", ["-c", "yes | head -c 10000000"]], ["sh", ["-c", "echo consumer broke >&2; exit 4"]], { trailer: async () => Buffer.from("") }), /consumer broke/);
  await assert.rejects(intoFile("consumer-fails-plain", ["sh", ["-c", "yes | head -c 10000000"]], ["sh", ["-c", "echo consumer broke >&2; exit 4"]]), /consumer broke/);
});
