import { containerCommands } from "./cli/commands/container.ts";
import { runCommands } from "./cli/commands/run.ts";
import { execCommands } from "./cli/commands/exec.ts";
import { inspectCommands } from "./cli/commands/inspect.ts";
import { diffCommands } from "./cli/commands/diff.ts";
import { cpCommands } from "./cli/commands/cp.ts";
import { buildCommands } from "./cli/commands/build.ts";
import { deployCommands } from "./cli/commands/deploy.ts";
import { engineCommands } from "./cli/commands/engine.ts";
import { imageCommands, imageGroup } from "./cli/commands/image.ts";
import { systemCommands } from "./cli/commands/system.ts";
import { volumeCommands, volumeGroup } from "./cli/commands/volume.ts";
import { volumeBackupCommands } from "./cli/commands/volume-backup.ts";
import { runCli } from "./cli/program.ts";

const registry = {
  groups: [{ path: ["container"], description: "Manage containers" }, imageGroup, volumeGroup, { path: ["system"], description: "Manage moor" }],
  commands: [...runCommands, ...execCommands, ...inspectCommands, ...containerCommands, ...diffCommands, ...cpCommands, ...engineCommands, ...systemCommands, ...buildCommands, ...deployCommands, ...imageCommands, ...volumeCommands, ...volumeBackupCommands],
};

// A reader that goes away (`moor ps | head -1`) ends the CLI as it ends docker's: at once, silently,
// with the status of a death by SIGPIPE. Node ignores that signal, so the write fails with EPIPE
// instead, which would otherwise crash with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.exit(128 + 13);
  });
}

void runCli(
  process.argv.slice(2),
  {
    stdout: process.stdout,
    stderr: process.stderr,
    // Opening stdin costs start-up time; only prompts read it.
    get stdin() {
      return process.stdin;
    },
    env: process.env,
  },
  registry,
).then((code) => {
  process.exitCode = code;
});
