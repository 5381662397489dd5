/**
 * `moor volume backup|restore|verify|clone|rename|export|import|backups`: moor's own volume care (engine side in
 * engine/volumes/backup.ts), streamed through the engine's `/moor/volumes/...` endpoints.
 */
import { closeSync, createReadStream, fstatSync, openSync, statSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { rm } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import type { EngineClient, NamedArchive, WritersPolicy } from "../../client/client.ts";
import { MoorError } from "../../errors.ts";
import type { WireBackupSchedule, WireVolumeArchiveSummary, WireVolumeBackups } from "../../wire/volumes.ts";
import { headSha256 } from "../../util/file-head.ts";
import { humanSize } from "../../util/units.ts";
import { CommandError, type CommandContext, type CommandSpec } from "../command.ts";
import { withClient } from "../program.ts";
import { writeArchiveFile, writeNewFile, writeToStdout } from "../archive-output.ts";
import { tabwrite } from "../tabwriter.ts";
import { counted, progressLine, transferProgress, type ProgressSample } from "../progress.ts";

const backup: CommandSpec = {
  path: ["volume", "backup"],
  usage: "[OPTIONS] VOLUME",
  description: `Back up a volume to an archive

The archive (zstd-compressed tar, gzip with --gzip) keeps owners, modes, times,
symlinks, hard links, sparse files, extended attributes and ACLs, with a
manifest: the volume's name, driver, options and labels, and a checksum (BLAKE3)
of every file and of the whole, which restore and verify check. A volume that running
containers write to is refused unless --stop, which stops them for the backup
and starts them again after it, or --pause, which freezes them meanwhile (they
keep their memory and connections; a database may still need its own recovery
on restore, as after a power cut).`,
  examples: `moor volume backup pgdata -o pgdata.tar.zst
moor volume backup --stop shopdata -o shop.tar.zst   # stops its writers meanwhile
moor volume backup --pause shopdata -o shop.tar.zst  # freezes them instead
moor volume backup pgdata | ssh other moor volume restore -`,
  args: { min: 1, max: 1 },
  flags: [
    { long: "output", short: "o", type: "string", usage: 'Write to a file ("-": STDOUT, the default when it is not a terminal)' },
    { long: "gzip", type: "bool", usage: "Compress with gzip instead of zstd" },
    { long: "stop", type: "bool", usage: "Stop the running containers that write to the volume for the backup, then start them again" },
    { long: "pause", type: "bool", usage: "Pause the running containers that write to the volume for the backup, then unpause them" },
  ],
  async run(ctx, args, flags) {
    const output = (flags.output as string | undefined) ?? "-";
    await withClient(ctx, async (client) => {
      await withEngineProgress(ctx, client, `Backing up volume ${args[0]}`, async (operation) => {
        const options = { compression: flags.gzip ? ("gzip" as const) : ("zstd" as const), writers: writersPolicy(flags), operation };
        await writeEngineArchive(ctx, output, `backup of ${args[0]}`, {
          stream: () => client.volumeBackup(args[0], options),
          intoFile: (file, nonce) => client.volumeBackupToFile(args[0], { ...options, file, nonce }),
        });
      });
    });
    if (output !== "-") ctx.stderr.write(`Backed up volume ${args[0]} to ${output}\n`);
    return 0;
  },
};

/**
 * An archive the engine makes, to stdout, or to a file written aside and renamed, so a failure
 * never leaves a truncated archive behind. The engine writes the file itself when it can see it
 * (see writtenByEngine); otherwise the archive streams through the socket.
 */
async function writeEngineArchive(
  ctx: CommandContext,
  output: string,
  what: string,
  archive: { stream: () => Promise<AsyncIterable<Buffer>>; intoFile: (file: string, nonce: string) => Promise<unknown> },
): Promise<void> {
  if (output !== "-") {
    await writeArchiveFile(output, what, async (partial) => {
      if (!(await writtenByEngine(partial, (nonce) => archive.intoFile(partial, nonce)))) await writeNewFile(partial, await archive.stream());
    });
    return;
  }
  await writeToStdout(ctx, what, archive.stream, "cowardly refusing to write an archive to a terminal. Use the -o flag or redirect");
}

/**
 * Has the engine write the archive into `partial` itself when it runs on this machine, sparing
 * the archive the trip through the socket: the file is made here holding only a random nonce,
 * which the engine checks before writing. False (and no file) when the engine cannot see it.
 */
async function writtenByEngine(partial: string, write: (nonce: string) => Promise<unknown>): Promise<boolean> {
  const nonce = randomBytes(16).toString("hex");
  writeFileSync(partial, nonce, { flag: "wx" });
  try {
    await write(nonce);
    return true;
  } catch (err) {
    if (!(err instanceof MoorError && err.kind === "not_found")) throw err;
    await rm(partial, { force: true });
    return false;
  }
}

/**
 * Runs an engine operation (backup, export, clone) with its progress on stderr when that is a
 * terminal: the operation gets an id, and the engine is asked twice a second how much of the
 * volume's data it has handled, of how much.
 */
async function withEngineProgress<T>(ctx: CommandContext, client: EngineClient, label: string, work: (operation: string | undefined) => Promise<T>): Promise<T> {
  if (!(ctx.stderr as { isTTY?: boolean }).isTTY) return work(undefined);
  const operation = randomBytes(8).toString("hex");
  let latest: ProgressSample = { bytes: 0 };
  let asking = false;
  const poll = setInterval(() => {
    if (asking) return;
    asking = true;
    client
      .operationProgress(operation)
      .then((progress) => (latest = { bytes: progress.Done, total: progress.Total ?? undefined }))
      // Not begun yet, or over: the line keeps what it showed.
      .catch(() => undefined)
      .finally(() => (asking = false));
  }, 500);
  const line = progressLine(ctx.stderr, label, () => latest);
  try {
    return await work(operation);
  } finally {
    clearInterval(poll);
    line.stop();
  }
}

/**
 * An archive handed to the engine. A named regular file the engine reads itself when it runs on
 * this machine (it checks the file's size and the sha256 of its first bytes, so a client on
 * another machine gets not_found), sparing the archive the trip through the socket; otherwise
 * it is sent. Progress on stderr either way when that is a terminal.
 */
async function handArchive<T>(
  ctx: CommandContext,
  client: EngineClient,
  file: string,
  label: string,
  { fromFile, send }: { fromFile: (file: NamedArchive, operation: string | undefined) => Promise<T>; send: (body: AsyncIterable<Buffer>) => Promise<T> },
): Promise<T> {
  const named = file === "-" ? undefined : regularFile(file);
  if (named !== undefined) {
    try {
      return await withEngineProgress(ctx, client, label, (operation) => fromFile(named, operation));
    } catch (err) {
      if (!(err instanceof MoorError && err.kind === "not_found")) throw err;
    }
  }
  return sendArchive(ctx, archiveInput(ctx, file), label, send);
}

/** A named file's absolute path, size and headSha256(), if it is a regular file (a pipe or a device is streamed). */
function regularFile(file: string): NamedArchive | undefined {
  const fd = openSync(file, "r");
  try {
    const stats = fstatSync(fd);
    return stats.isFile() ? { path: resolve(file), size: stats.size, head: headSha256(fd, stats.size) } : undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * An archive sent to the engine, with progress on stderr meanwhile when it is a terminal (the
 * share done and the time left when the archive is a file).
 */
async function sendArchive<T>(ctx: CommandContext, input: ArchiveInput, label: string, send: (body: AsyncIterable<Buffer>) => Promise<T>): Promise<T> {
  const counter = { bytes: 0 };
  const progress = transferProgress(ctx.stderr, label, counter, { total: input.size });
  try {
    return await send(counted(input.chunks, counter));
  } finally {
    progress.stop();
  }
}

interface ArchiveInput {
  chunks: AsyncIterable<Buffer>;
  /** Known when the archive is a regular file (named, or redirected to stdin). */
  size: number | undefined;
}

function archiveInput(ctx: CommandContext, file: string): ArchiveInput {
  if (file === "-") {
    if (ctx.stdin.isTTY) throw new CommandError("requested an archive from stdin, but stdin is a terminal");
    const stats = (ctx.stdin as { fd?: number }).fd === 0 ? fstatSync(0) : undefined;
    return { chunks: ctx.stdin as AsyncIterable<Buffer>, size: stats?.isFile() ? stats.size : undefined };
  }
  const stats = statSync(file, { throwIfNoEntry: false });
  return { chunks: createReadStream(file), size: stats?.isFile() ? stats.size : undefined };
}

function summaryLine(summary: WireVolumeArchiveSummary): string {
  // The checksum comes as <hash>:<hex>; the line names the hash as sha256sum or b3sum would be named.
  const [hash, hex] = summary.Checksum.split(":");
  return `${summary.Files} files, ${humanSize(summary.Bytes)}, backed up ${summary.Created}, ${hash} ${hex}`;
}

async function readingArchive<T>(file: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new CommandError(`open ${file}: no such file or directory`);
    throw err;
  }
}

const restore: CommandSpec = {
  path: ["volume", "restore"],
  usage: "[OPTIONS] FILE|- [VOLUME]",
  description: `Restore a volume from a backup archive

Into VOLUME, else the volume the archive was made from: a new volume is created
with the archive's labels; an existing one must be empty, or with --force its
data is replaced. The archive is unpacked aside and every checksum verified
before the volume changes, all at once: a corrupt, truncated or foreign archive,
or an interrupted restore, leaves the volume as it was.`,
  examples: `moor volume restore pgdata.tar.zst                  # as the volume it was made from
moor volume restore pgdata.tar.zst pgdata-copy      # under another name
moor volume restore --force pgdata.tar.zst          # replace the data of an existing volume`,
  args: { min: 1, max: 2 },
  flags: [{ long: "force", short: "f", type: "bool", usage: "Replace the data of an existing, non-empty volume" }],
  async run(ctx, args, flags) {
    const options = { name: args[1], force: Boolean(flags.force) };
    const summary = await readingArchive(args[0], () =>
      withClient(ctx, (client) =>
        handArchive(ctx, client, args[0], "Restoring", {
          fromFile: (file, operation) => client.volumeRestoreFromFile(file, { ...options, operation }),
          send: (body) => client.volumeRestore(body, options),
        }),
      ),
    );
    ctx.stdout.write(`Restored volume ${summary.Volume}: ${summaryLine(summary)}\n`);
    return 0;
  },
};

const verify: CommandSpec = {
  path: ["volume", "verify"],
  usage: "FILE|-",
  description: `Check a backup archive without restoring it

Every file's checksum, and the one of them all (the archive's whole, for
archives of moor's first format), as a restore checks them.`,
  args: { min: 1, max: 1 },
  async run(ctx, args) {
    const summary = await readingArchive(args[0], () =>
      withClient(ctx, (client) =>
        handArchive(ctx, client, args[0], "Verifying", {
          fromFile: (file, operation) => client.volumeVerifyFromFile(file, { operation }),
          send: (body) => client.volumeVerify(body),
        }),
      ),
    );
    ctx.stdout.write(`OK: volume ${summary.Volume}, ${summaryLine(summary)}\n`);
    return 0;
  },
};

const clone: CommandSpec = {
  path: ["volume", "clone"],
  usage: "[OPTIONS] SOURCE TARGET",
  description: `Copy a volume to a new volume

A full-fidelity copy (owners, modes, times, links, sparse files, xattrs, ACLs),
with reflinks or copy_file_range where the filesystem allows, and the source's
labels. TARGET must not exist. A source that running containers write to is
refused unless --stop, which stops them for the copy and starts them again, or
--pause, which freezes them meanwhile.`,
  examples: `moor volume clone pgdata pgdata-before-upgrade
moor volume clone --stop shopdata shopdata-test`,
  args: { min: 2, max: 2 },
  flags: [
    { long: "stop", type: "bool", usage: "Stop the running containers that write to the source for the copy, then start them again" },
    { long: "pause", type: "bool", usage: "Pause the running containers that write to the source for the copy, then unpause them" },
  ],
  async run(ctx, args, flags) {
    const volume = await withClient(ctx, (client) =>
      withEngineProgress(ctx, client, `Cloning volume ${args[0]} to ${args[1]}`, (operation) => client.volumeClone(args[0], args[1], { writers: writersPolicy(flags), operation })),
    );
    ctx.stdout.write(`${volume.Name}\n`);
    return 0;
  },
};

const renameVolume: CommandSpec = {
  path: ["volume", "rename"],
  usage: "OLD NEW",
  description: `Rename a volume

The volume and its data take the new name in one step (a crash leaves one of the
two names). Containers refer to their volumes by name, so a volume any container
refers to, running or not, is refused: the message lists them.`,
  examples: "moor volume rename pgdata pgdata-2024",
  args: { min: 2, max: 2 },
  async run(ctx, args) {
    const volume = await withClient(ctx, (client) => client.volumeRename(args[0], args[1]));
    ctx.stdout.write(`${volume.Name}\n`);
    return 0;
  },
};

const exportVolume: CommandSpec = {
  path: ["volume", "export"],
  usage: "[OPTIONS] VOLUME",
  description: `Export a volume's content as a plain tar stream

The same format as podman volume export, for piping between hosts; moor volume
import reads it. For a checked, compressed archive with the volume's metadata,
use moor volume backup. Refused while running containers write to the volume,
unless --stop or --pause.`,
  examples: `moor volume export pgdata -o pgdata.tar
moor volume export pgdata | ssh other-host moor volume import pgdata -`,
  args: { min: 1, max: 1 },
  flags: [
    { long: "output", short: "o", type: "string", usage: 'Write to a file ("-": STDOUT, the default when it is not a terminal)' },
    { long: "stop", type: "bool", usage: "Stop the running containers that write to the volume for the export, then start them again" },
    { long: "pause", type: "bool", usage: "Pause the running containers that write to the volume for the export, then unpause them" },
  ],
  async run(ctx, args, flags) {
    const output = (flags.output as string | undefined) ?? "-";
    await withClient(ctx, (client) =>
      withEngineProgress(ctx, client, `Exporting volume ${args[0]}`, async (operation) => {
        const options = { writers: writersPolicy(flags), operation };
        await writeEngineArchive(ctx, output, `export of ${args[0]}`, {
          stream: () => client.volumeExport(args[0], options),
          intoFile: (file, nonce) => client.volumeExportToFile(args[0], { ...options, file, nonce }),
        });
      }),
    );
    return 0;
  },
};

const importVolume: CommandSpec = {
  path: ["volume", "import"],
  usage: "[OPTIONS] VOLUME [FILE|-]",
  description: `Import a plain tar stream as a volume's content

Reads what moor volume export and podman volume export write (gzip or zstd
compressed too), from FILE or stdin. A new volume is created; an existing one
must be empty, or with --force its data is replaced. The archive is unpacked
aside and swapped in at once; a member that would land outside the volume is
refused before anything is written.`,
  examples: `moor volume import pgdata pgdata.tar
ssh other-host moor volume export pgdata | moor volume import pgdata -`,
  args: { min: 1, max: 2 },
  flags: [{ long: "force", short: "f", type: "bool", usage: "Replace the data of an existing, non-empty volume" }],
  async run(ctx, args, flags) {
    const file = args[1] ?? "-";
    const options = { force: Boolean(flags.force) };
    const summary = await readingArchive(file, () =>
      withClient(ctx, (client) =>
        handArchive(ctx, client, file, `Importing into volume ${args[0]}`, {
          fromFile: (named, operation) => client.volumeImportFromFile(args[0], named, { ...options, operation }),
          send: (body) => client.volumeImport(args[0], body, options),
        }),
      ),
    );
    ctx.stdout.write(`Imported ${summary.Files} files, ${humanSize(summary.Bytes)} into volume ${summary.Volume}\n`);
    return 0;
  },
};

const backups: CommandSpec = {
  path: ["volume", "backups"],
  usage: "[OPTIONS] [VOLUME]",
  description: `Show a volume's scheduled backups and each run's result

Schedules come from the app file: a volume's x-moor backup setting (cron
expression, how many to keep, target directory), which moor up gives the
engine. The engine runs them and records every run, newest first here: when it
started, how it ended, the archive's size and file (or why it failed). Without
VOLUME: every scheduled volume, with its next run and how its last one went.`,
  examples: `moor volume backups                   # every schedule
moor volume backups shop_data
moor volume backups --json shop_data | jq '.Runs[0]'`,
  args: { max: 1 },
  flags: [{ long: "json", type: "bool", usage: "Print the schedule and runs as JSON" }],
  async run(ctx, args, flags) {
    if (args.length === 0) return listSchedules(ctx, Boolean(flags.json));
    const report = await withClient(ctx, (client) => client.volumeBackups(args[0]));
    if (flags.json) {
      ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const schedule = report.Schedule;
    if (schedule === null) ctx.stdout.write(`Volume ${report.Volume} has no backup schedule (an app file sets one: x-moor: {backup: {schedule: "0 3 * * *"}} on the volume).\n`);
    else {
      const next = schedule.NextRun === null ? "no next run" : `next ${localTime(schedule.NextRun)}`;
      const writers = { stop: "stopped", pause: "paused", refuse: "refused (the run fails while they run)" }[schedule.Writers];
      ctx.stdout.write(`Volume ${report.Volume}: backed up on "${schedule.Schedule}" (${next}), newest ${schedule.Keep} kept in ${schedule.Target}; containers writing to it are ${writers}${schedule.Owner === "" ? "" : `; set by ${schedule.Owner}`}.\n`);
    }
    if (report.Runs.length === 0) {
      if (schedule !== null) ctx.stdout.write("No runs yet.\n");
      return 0;
    }
    const rows = report.Runs.map((run) => {
      const archive = run.Status === "ok" ? (run.Pruned ? `(deleted, beyond the newest kept) ${run.File}` : run.File) : (run.Error ?? run.File);
      return `${localTime(run.Started)}\t${run.Status}\t${run.Bytes === null ? "-" : humanSize(run.Bytes)}\t${archive}`;
    });
    ctx.stdout.write(tabwrite(`STARTED\tSTATUS\tSIZE\tARCHIVE\n${rows.join("\n")}\n`, { minWidth: 0 }));
    return 0;
  },
};

/** Every backup schedule: its volume, expression, next run and how its last run went. */
async function listSchedules(ctx: CommandContext, json: boolean): Promise<number> {
  // A schedule dropped (or its volume removed) between the two questions is left out.
  const reports = await withClient(ctx, async (client) =>
    (await Promise.all((await client.backupSchedules()).map((schedule) => client.volumeBackups(schedule.Volume).catch(() => undefined)))).filter(
      (report): report is WireVolumeBackups & { Schedule: WireBackupSchedule } => report !== undefined && report.Schedule !== null,
    ),
  );
  if (json) {
    ctx.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    return 0;
  }
  const rows = reports.map(({ Volume, Schedule, Runs }) => {
    const last = Runs[0];
    const lastRun = last === undefined ? "-" : `${last.Status} ${localTime(last.Started)}`;
    return `${Volume}\t${Schedule.Schedule}\t${Schedule.Keep}\t${Schedule.NextRun === null ? "-" : localTime(Schedule.NextRun)}\t${lastRun}\t${Schedule.Target}`;
  });
  ctx.stdout.write(tabwrite(`VOLUME\tSCHEDULE\tKEEP\tNEXT RUN\tLAST RUN\tTARGET\n${rows.map((row) => `${row}\n`).join("")}`, { minWidth: 0 }));
  return 0;
}

/** An RFC 3339 time as this machine's local wall-clock time: 2026-11-28 03:00:00. */
function localTime(rfc3339: string): string {
  const time = new Date(rfc3339);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())} ${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}`;
}

export const volumeBackupCommands: CommandSpec[] = [backup, restore, verify, clone, renameVolume, exportVolume, importVolume, backups];

function writersPolicy(flags: Record<string, unknown>): WritersPolicy {
  if (flags.stop && flags.pause) throw new CommandError("--stop and --pause cannot be used together: the writers are either stopped or paused");
  return flags.stop ? "stop" : flags.pause ? "pause" : "refuse";
}
