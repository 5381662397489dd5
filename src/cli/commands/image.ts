import { readFile, rename, writeFile } from "node:fs/promises";
import { goType } from "../../util/go-template.ts";
import { readAll } from "../../util/read-all.ts";
import { humanDuration, humanSize } from "../../util/units.ts";
import type { WireImageSummary } from "../../wire/images.ts";
import { CommandError, type CommandContext, type CommandSpec, type GroupSpec } from "../command.ts";
import { formatList, formatObjects, objectFormatUsage, tableFormatUsage } from "../format.ts";
import { forEachName, withClient } from "../program.ts";
import { confirm } from "../prompt.ts";
import { filterMap } from "./filters.ts";
import { imageBootstrapCommands } from "./image-bootstrap.ts";

export const imageGroup: GroupSpec = { path: ["image"], description: "Manage images" };

const importCommand: CommandSpec = {
  path: ["image", "import"],
  aliases: [["import"]],
  usage: "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
  description: "Import the contents from a tarball to create a filesystem image",
  examples: `scripts/make-test-image.sh busybox.tar && moor image import busybox.tar busybox
moor image import -c 'CMD ["/bin/sh"]' -c 'VOLUME /data' rootfs.tar app:1
tar -C rootfs -c . | moor import - app:2`,
  args: { min: 1, max: 2 },
  flags: [
    { long: "change", short: "c", type: "list", usage: "Apply Dockerfile instruction to the created image" },
    { long: "message", short: "m", type: "string", usage: "Set commit message for imported image" },
    { long: "platform", type: "string", usage: "Set platform if server is multi-platform capable" },
  ],
  async run(ctx, args, flags) {
    const [source, repository = ""] = args;
    if (/^https?:\/\//.test(source)) throw new CommandError("moor cannot fetch URLs: download the tarball first, then import the file");
    let tarball: Buffer;
    try {
      tarball = source === "-" ? await readAll(ctx.stdin) : await readFile(source);
    } catch (err) {
      throw new CommandError(`open ${source}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (err as Error).message}`);
    }
    const id = await withClient(ctx, (client) =>
      client.imageImport(tarball, { repo: repository, message: (flags.message as string | undefined) ?? "", changes: (flags.change as string[] | undefined) ?? [] }),
    );
    ctx.stdout.write(`${id}\n`);
    return 0;
  },
};

export const imageHeaders = {
  ID: "IMAGE ID",
  Repository: "REPOSITORY",
  Tag: "TAG",
  Digest: "DIGEST",
  CreatedSince: "CREATED",
  CreatedAt: "CREATED AT",
  Size: "SIZE",
  SharedSize: "SHARED SIZE",
  UniqueSize: "UNIQUE SIZE",
  VirtualSize: "VIRTUAL SIZE",
  Containers: "CONTAINERS",
};

/** docker/cli's image formatter: one row per tag, `<none>` for untagged images. */
export function imageRows(images: WireImageSummary[], noTrunc: boolean) {
  const now = Date.now();
  return images.flatMap((image) => {
    const id = noTrunc ? image.Id : image.Id.replace(/^sha256:/, "").slice(0, 12);
    const tags = image.RepoTags && image.RepoTags.length > 0 ? image.RepoTags : ["<none>:<none>"];
    return tags.map((tagged) => {
      const colon = tagged.lastIndexOf(":");
      return {
        [goType]: "*formatter.imageContext",
        ID: id,
        Repository: tagged.slice(0, colon),
        Tag: tagged.slice(colon + 1),
        Digest: "<none>",
        CreatedSince: `${humanDuration(now - image.Created * 1000)} ago`,
        CreatedAt: new Date(image.Created * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " +0000 UTC"),
        Size: humanSize(image.Size, 3),
        SharedSize: image.SharedSize === -1 ? "N/A" : humanSize(image.SharedSize),
        UniqueSize: image.SharedSize === -1 ? "N/A" : humanSize(image.Size - image.SharedSize),
        VirtualSize: humanSize(image.Size, 3),
        Containers: image.Containers === -1 ? "N/A" : String(image.Containers),
      };
    });
  });
}

const list: CommandSpec = {
  path: ["image", "ls"],
  aliases: [["image", "list"], ["images"]],
  usage: "[OPTIONS] [REPOSITORY[:TAG]]",
  description: "List images",
  examples: `moor images
moor image ls --filter dangling=true -q
moor image ls busybox --format '{{.Repository}}:{{.Tag}} {{.Size}}'`,
  args: { max: 1 },
  flags: [
    { long: "all", short: "a", type: "bool", usage: "Show all images (default hides intermediate images)" },
    { long: "digests", type: "bool", usage: "Show digests" },
    { long: "filter", short: "f", type: "filter", usage: "Filter output based on conditions provided" },
    { long: "format", type: "string", usage: tableFormatUsage },
    { long: "no-trunc", type: "bool", usage: "Don't truncate output" },
    { long: "quiet", short: "q", type: "bool", usage: "Only show image IDs" },
  ],
  async run(ctx, args, flags) {
    const filters = filterMap(flags.filter as string[] | undefined);
    if (args[0] !== undefined) filters.set("reference", [...(filters.get("reference") ?? []), args[0]]);
    const images = await withClient(ctx, (client) => client.imageList(filters, Boolean(flags.all)));
    const rows = imageRows(images, Boolean(flags["no-trunc"]));
    let format = (flags.format as string | undefined) ?? "";
    if (flags.quiet && (format === "" || format === "table")) {
      ctx.stdout.write([...new Set(rows.map((row) => row.ID))].map((id) => `${id}\n`).join(""));
      return 0;
    }
    const defaultColumns = flags.digests
      ? "{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
      : "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
    ctx.stdout.write(formatList(rows, format, imageHeaders, defaultColumns));
    return 0;
  },
};

const inspect: CommandSpec = {
  path: ["image", "inspect"],
  usage: "[OPTIONS] IMAGE [IMAGE...]",
  description: "Display detailed information on one or more images",
  examples: `moor image inspect busybox --format '{{json .Config.Volumes}}'`,
  args: { min: 1 },
  flags: [{ long: "format", short: "f", type: "string", usage: objectFormatUsage }],
  async run(ctx, args, flags) {
    const { results, finish } = await forEachName(ctx, args, async (client, name) => ({
      ...(await client.imageInspect(name)),
      [goType]: "image.InspectResponse",
    }));
    ctx.stdout.write(formatObjects(results, (flags.format as string | undefined) ?? ""));
    return finish();
  },
};

const remove: CommandSpec = {
  path: ["image", "rm"],
  aliases: [["image", "remove"], ["rmi"]],
  usage: "[OPTIONS] IMAGE [IMAGE...]",
  description: "Remove one or more images",
  examples: `moor rmi busybox:old
moor image rm -f $(moor images -q --filter dangling=true)`,
  args: { min: 1 },
  flags: [
    { long: "force", short: "f", type: "bool", usage: "Force removal of the image" },
    { long: "no-prune", type: "bool", usage: "Do not delete untagged parents" },
  ],
  async run(ctx, args, flags) {
    const { finish } = await forEachName(ctx, args, async (client, name) => {
      for (const entry of await client.imageRemove(name, { force: Boolean(flags.force), noPrune: Boolean(flags["no-prune"]) })) {
            ctx.stdout.write(entry.Untagged !== undefined ? `Untagged: ${entry.Untagged}\n` : `Deleted: ${entry.Deleted}\n`);
      }
    });
    return finish();
  },
};

const tag: CommandSpec = {
  path: ["image", "tag"],
  aliases: [["tag"]],
  usage: "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
  description: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
  examples: `moor tag busybox:latest registry.example.com/tools/busybox:1.35`,
  args: { min: 2, max: 2 },
  async run(ctx: CommandContext, args) {
    await withClient(ctx, (client) => client.imageTag(args[0], args[1], ""));
    return 0;
  },
};

const load: CommandSpec = {
  path: ["image", "load"],
  aliases: [["load"]],
  usage: "[OPTIONS]",
  description: "Load an image from a tar archive or STDIN",
  examples: `moor load -i busybox.tar              # a tarball written by 'docker save' or 'moor save'
docker save app:1 | moor load           # straight from another engine`,
  args: { max: 0 },
  flags: [
    { long: "input", short: "i", type: "string", usage: "Read from tar archive file, instead of STDIN" },
    { long: "quiet", short: "q", type: "bool", usage: "Suppress the load output" },
  ],
  async run(ctx, _args, flags) {
    const input = flags.input as string | undefined;
    if (input === undefined && ctx.stdin.isTTY) {
      throw new CommandError("requested load from stdin, but stdin is empty");
    }
    let archive: Buffer;
    try {
      archive = input === undefined ? await readAll(ctx.stdin) : await readFile(input);
    } catch (err) {
      throw new CommandError(`open ${input}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (err as Error).message}`);
    }
    const lines = await withClient(ctx, (client) => client.imageLoad(archive));
    if (!flags.quiet) ctx.stdout.write(lines.map((line) => `${line}\n`).join(""));
    return 0;
  },
};

const save: CommandSpec = {
  path: ["image", "save"],
  aliases: [["save"]],
  usage: "[OPTIONS] IMAGE [IMAGE...]",
  description: "Save one or more images to a tar archive (streamed to STDOUT by default)",
  examples: `moor save -o busybox.tar busybox
moor save app:1 app:2 | ssh other-host docker load`,
  args: { min: 1 },
  flags: [{ long: "output", short: "o", type: "string", usage: "Write to a file, instead of STDOUT" }],
  async run(ctx, args, flags) {
    const output = flags.output as string | undefined;
    if (output === undefined && (ctx.stdout as NodeJS.WriteStream).isTTY) {
      throw new CommandError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    const archive = await withClient(ctx, (client) => client.imageSave(args));
    if (output === undefined) {
      ctx.stdout.write(archive);
    } else {
      // Written aside and renamed, so a failed save never leaves a truncated archive behind.
      const partial = `${output}.partial-${process.pid}`;
      await writeFile(partial, archive);
      await rename(partial, output);
    }
    return 0;
  },
};

const prune: CommandSpec = {
  path: ["image", "prune"],
  usage: "[OPTIONS]",
  description: "Remove unused images",
  examples: `moor image prune                   # untagged images no container uses
moor image prune -a --filter until=24h`,
  args: { max: 0 },
  flags: [
    { long: "all", short: "a", type: "bool", usage: "Remove all unused images, not just dangling ones" },
    { long: "filter", type: "filter", usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { long: "force", short: "f", type: "bool", usage: "Do not prompt for confirmation" },
  ],
  async run(ctx, _args, flags) {
    const filters = filterMap(flags.filter as string[] | undefined);
    if (flags.all) filters.set("dangling", ["false"]);
    const warning = flags.all
      ? "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?"
      : "WARNING! This will remove all dangling images.\nAre you sure you want to continue?";
    if (!flags.force && !(await confirm(ctx, warning))) return 0;
    const report = await withClient(ctx, (client) => client.imagePrune(filters));
    let output = "";
    if (report.ImagesDeleted && report.ImagesDeleted.length > 0) {
      output += "Deleted Images:\n";
      for (const entry of report.ImagesDeleted) output += entry.Untagged !== undefined ? `untagged: ${entry.Untagged}\n` : `deleted: ${entry.Deleted}\n`;
      output += "\n";
    }
    ctx.stdout.write(`${output}Total reclaimed space: ${humanSize(report.SpaceReclaimed)}\n`);
    return 0;
  },
};

export const imageCommands: CommandSpec[] = [importCommand, list, inspect, load, prune, remove, save, tag, ...imageBootstrapCommands];
