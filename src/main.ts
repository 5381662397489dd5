import { engineCommands } from "./cli/commands/engine.ts";
import { systemCommands } from "./cli/commands/system.ts";
import { volumeCommands, volumeGroup } from "./cli/commands/volume.ts";
import { runCli } from "./cli/program.ts";

const registry = {
  groups: [volumeGroup],
  commands: [...engineCommands, ...systemCommands, ...volumeCommands],
};

process.exitCode = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env },
  registry,
);
