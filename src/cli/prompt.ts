import type { CommandContext } from "./command.ts";

/**
 * docker's confirmation prompt: prints `<question> [y/N] ` and reads one line; only "y" or
 * "yes" (any case) confirms. End of input counts as no.
 */
export async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  ctx.stdout.write(`${question} [y/N] `);
  const answer = await readLine(ctx.stdin);
  return ["y", "yes"].includes(answer.trim().toLowerCase());
}

function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let buffered = "";
    const finish = () => {
      stream.off("data", onData);
      stream.off("end", finish);
      stream.pause();
      resolve(buffered.split("\n")[0]);
    };
    const onData = (chunk: Buffer | string) => {
      buffered += chunk.toString();
      if (buffered.includes("\n")) finish();
    };
    stream.on("data", onData);
    stream.on("end", finish);
    stream.resume();
  });
}
