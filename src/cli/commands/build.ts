import { rm, writeFile } from "node:fs/promises";
import { ConnectionError, type BuildMessage, type ImageBuildOptions } from "../../client/client.ts";
import { MoorError } from "../../errors.ts";
import { goErrnoText } from "../../util/go-errno.ts";
import { humanSize } from "../../util/units.ts";
import { prepareBuildContext } from "../build-context.ts";
import { CommandError, type CommandSpec, type FlagValues } from "../command.ts";
import { Interruption } from "../interrupt.ts";
import { withClient } from "../program.ts";
import { envEntryProblem } from "../../util/env.ts";

/**
 * `moor build`: the docker CLI's legacy-builder `docker build` (docker/cli
 * cli/command/image/build.go runBuild, docker 28): the context is archived here and streamed
 * to `POST /build`, the engine's messages are printed as they come, and the exit code of a
 * failed build is the failed step's. Unlike docker, no "legacy builder is deprecated" banner:
 * the classic builder is moor's only builder.
 */

/** distribution/reference's grammar (regexp.go), which the CLI checks -t values with. */
const alphanumeric = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const domainNameComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domainAndPort = `(?:${domainNameComponent}(?:\\.${domainNameComponent})*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?`;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const referencePattern = new RegExp(
  `^((?:${domainAndPort}/)?${remoteName})(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}))?$`,
);
const anchoredNamePattern = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const digestHexLengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/**
 * The CLI's validateTag, which is reference.ParseNormalizedNamed: why `tag` is not an image
 * name, with distribution/reference's texts, or undefined when it is one.
 */
export function invalidTagReason(tag: string): string | undefined {
  if (/^[a-f0-9]{64}$/.test(tag)) return `invalid repository name (${tag}), cannot specify 64-byte hexadecimal strings`;
  // splitDockerDomain: a first part is a registry when it looks like a host or is not lowercase.
  const slash = tag.indexOf("/");
  const first = tag.slice(0, slash);
  let domain = "docker.io";
  let remainder = tag;
  if (slash !== -1 && (first === "localhost" || first === "index.docker.io" || /[.:]/.test(first) || first.toLowerCase() !== first)) {
    domain = first === "index.docker.io" ? "docker.io" : first;
    remainder = tag.slice(slash + 1);
  }
  if (domain === "docker.io" && !remainder.includes("/")) remainder = `library/${remainder}`;
  const colon = remainder.indexOf(":");
  const remote = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) return `invalid reference format: repository name (${remote}) must be lowercase`;

  const full = `${domain}/${remainder}`;
  const match = referencePattern.exec(full);
  if (match === null) return referencePattern.test(full.toLowerCase()) ? "repository name must be lowercase" : "invalid reference format";
  const path = anchoredNamePattern.exec(match[1])?.[2] ?? match[1];
  if (path.length > 255) return "repository name must not be more than 255 characters";
  if (match[3] !== undefined) {
    // go-digest's Validate.
    const [algorithm, encoded] = [match[3].slice(0, match[3].indexOf(":")), match[3].slice(match[3].indexOf(":") + 1)];
    const length = digestHexLengths[algorithm];
    if (length === undefined) return "unsupported digest algorithm";
    if (encoded.length !== length) return "invalid checksum digest length";
    if (!/^[a-f0-9]+$/.test(encoded)) return "invalid checksum digest format";
  }
  return undefined;
}

/** The CLI's opts.ValidateLabel. */
function invalidLabelReason(label: string): string | undefined {
  const key = label.split("=")[0].replace(/^[ \t]+/, "");
  if (key === "") return `invalid label '${label}': empty name`;
  if (/[ \t]/.test(key)) return `label '${key}' contains whitespaces`;
  return undefined;
}

/**
 * opts.ValidateEnv and ConvertKVStringsToMapWithNil: `KEY=value` as given; a bare `KEY` takes
 * its value from the environment, or is sent as null (the Dockerfile's default then applies).
 */
function buildArgMap(values: string[], env: NodeJS.ProcessEnv): Record<string, string | null> {
  const args: Record<string, string | null> = {};
  for (const value of values) {
    const eq = value.indexOf("=");
    if (eq !== -1) args[value.slice(0, eq)] = value.slice(eq + 1);
    else args[value] = env[value] ?? null;
  }
  return args;
}

function labelMap(values: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf("=");
    if (eq === -1) labels[value] = "";
    else labels[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return labels;
}

const sendingAction = "Sending build context to Docker daemon";
/** progress.Reader: the size is printed again after each 512kB read, at most every 100ms. */
const progressEvery = 512 * 1024;
const progressInterval = 100;

/**
 * The body, with the CLI's upload progress (progress.NewProgressReader through
 * streamformatter's raw formatter): on a terminal the size is rewritten in place ("\r") as it
 * grows; elsewhere only the final size is printed. The final line ends "\r\r\n". `now` is the
 * clock the rate limiter reads.
 */
export async function* withUploadProgress(body: AsyncIterable<Buffer>, write: (text: string) => void, terminal: boolean, now: () => number = Date.now): AsyncGenerator<Buffer> {
  let current = 0;
  let lastUpdate = 0;
  let nextAllowed = 0;
  const update = (last: boolean) => {
    if (!last) {
      // The rate limiter (a token bucket of one, refilled every 100ms); the non-terminal output shows only the last update.
      if (!terminal || now() < nextAllowed) return;
      nextAllowed = now() + progressInterval;
    }
    // rawProgressString with an unknown total: the size, padded to 8 ("%8v").
    const size = current > 0 ? humanSize(current).padStart(8) : "";
    write(`${sendingAction} ${size}${size === "" ? "\r\n" : "\r"}${last ? "\r\n" : ""}`);
  };
  for await (const chunk of body) {
    current += chunk.length;
    if (current - lastUpdate > progressEvery) {
      update(false);
      lastUpdate = current;
    }
    yield chunk;
  }
  update(true);
}

/**
 * jsonmessage.Display for the messages a build sends: step text as is, a status on its own
 * line. Progress bars come only from dockerd pulling a FROM image (moor's engine never pulls):
 * on a terminal the line is rewritten in place, elsewhere they are left out, as the CLI does.
 */
function displayMessage(message: BuildMessage, write: (text: string) => void, terminal: boolean): void {
  const progress = message.progressDetail;
  const hasProgress = progress !== undefined && ((progress.current ?? 0) > 0 || (progress.total ?? 0) > 0);
  if (hasProgress && !terminal) return;
  const prefix = message.id ? `${message.id}: ` : "";
  if (hasProgress && message.stream === undefined) {
    write(`\u001b[2K\r${prefix}${message.status ?? ""} ${message.progress ?? ""}\r`);
  } else if (message.stream !== undefined && message.stream !== "") write(`${prefix}${message.stream}`);
  else write(`${prefix}${message.status ?? ""}\n`);
}

/** Go's text for a failed file operation, as the CLI prints an --iidfile error. */
function fileErrorText(op: string, path: string, err: unknown): string {
  return `${op} ${path}: ${goErrnoText((err as NodeJS.ErrnoException).code) ?? (err as Error).message}`;
}

/** What the flags ask of POST /build; `dockerfile` is the Dockerfile's path in the context. */
function imageBuildOptions(flags: FlagValues, env: NodeJS.ProcessEnv, dockerfile: string): ImageBuildOptions {
  return {
    tags: (flags.tag as string[] | undefined) ?? [],
    dockerfile,
    buildArgs: buildArgMap((flags["build-arg"] as string[] | undefined) ?? [], env),
    target: (flags.target as string | undefined) ?? "",
    noCache: Boolean(flags["no-cache"]),
    labels: labelMap((flags.label as string[] | undefined) ?? []),
    quiet: Boolean(flags.quiet),
    pull: Boolean(flags.pull),
    remove: flags.rm !== false,
    forceRemove: Boolean(flags["force-rm"]),
  };
}

const build: CommandSpec = {
  path: ["build"],
  aliases: [["image", "build"]],
  usage: "[OPTIONS] PATH | -",
  description: `Build an image from a Dockerfile

The build context is the directory PATH (or, with "-", a tar archive or a lone
Dockerfile read from stdin). Its files are sent to the engine, except those
matched by PATH/.dockerignore; the Dockerfile is PATH/Dockerfile unless -f names
another. The engine runs the steps with the classic builder, printing each one:
every step makes an image on top of the previous one, RUN steps run in a
container removed when the step ends, and a step already built from the same
image and inputs is reused from the cache (--no-cache rebuilds them all).
A failed RUN ends the build with that command's exit code.`,
  examples: `moor build -t app:1 .                             # ./Dockerfile, with the current directory as context
moor build -t app:dev -f build/Dockerfile.dev .   # another Dockerfile; the context is still .
moor build -t tool - <<'EOF'                      # a Dockerfile from stdin, with no context files
FROM busybox
RUN echo built > /built
EOF
tar -C src -c . | moor build -t app -             # the context as a tar archive on stdin
moor build --build-arg VERSION=2.1 -t app .       # ARG VERSION in the Dockerfile is 2.1
moor build --build-arg HTTP_PROXY -t app .        # the value of $HTTP_PROXY here, or unset
moor build --target builder -t app:builder .      # stop after the stage named builder
moor build --label team=storage -q .              # print only the new image's ID`,
  args: { min: 1, max: 1 },
  flags: [
    {
      long: "build-arg",
      type: "list",
      valueName: "list",
      usage: "Set build-time variables (KEY=value; KEY alone takes its value from the environment)",
      check: envEntryProblem,
    },
    { long: "file", short: "f", type: "string", valueName: "string", usage: 'Name of the Dockerfile (Default is "PATH/Dockerfile"); "-" reads it from stdin' },
    { long: "force-rm", type: "bool", usage: "Always remove intermediate containers (moor's engine always does)" },
    { long: "iidfile", type: "string", valueName: "string", usage: "Write the image ID to the file" },
    { long: "label", type: "list", valueName: "list", usage: "Set metadata for an image", check: invalidLabelReason },
    { long: "no-cache", type: "bool", usage: "Do not use cache when building the image" },
    { long: "pull", type: "bool", usage: "Always attempt to pull a newer version of the image\n(moor's engine has no registry: FROM uses local images)" },
    { long: "quiet", short: "q", type: "bool", usage: "Suppress the build output and print image ID on success" },
    {
      long: "rm",
      type: "bool",
      usage: "Remove intermediate containers after a successful build\n(moor's engine always removes them, --rm=false included)",
      defaultValue: "true",
    },
    { long: "tag", short: "t", type: "list", valueName: "list", usage: 'Name and optionally a tag in the "name:tag" format', check: invalidTagReason },
    { long: "target", type: "string", valueName: "string", usage: "Set the target build stage to build." },
  ],
  async run(ctx, args, flags) {
    const quiet = Boolean(flags.quiet);
    const iidfile = (flags.iidfile as string | undefined) ?? "";
    const dockerfile = flags.file as string | undefined;
    const terminal = Boolean((ctx.stdout as NodeJS.WriteStream).isTTY);
    // With -q, the progress and the steps are kept back: shown on stderr only if the build fails.
    let progressText = "";
    let buildText = "";
    const progressOut = (text: string) => (quiet ? (progressText += text) : ctx.stdout.write(text));
    const buildOut = (text: string) => (quiet ? (buildText += text) : ctx.stdout.write(text));

    if (iidfile !== "") {
      // A stale ID must not survive a failed build.
      await rm(iidfile).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") throw new CommandError(`removing image ID file: ${fileErrorText("remove", iidfile, err)}`);
      });
    }
    const usesStdin = args[0] === "-" || dockerfile === "-";
    const context = await prepareBuildContext({
      context: args[0],
      dockerfile,
      // Only touched when read: opening stdin costs start-up time.
      stdin: usesStdin ? (ctx.stdin as AsyncIterable<Buffer>) : undefined,
    });

    // Ctrl-C (or SIGTERM, SIGHUP) drops the request; the engine then cancels the build and removes what it made.
    const interruption = new Interruption();
    // An interrupted build exits 128 + the signal's number, silently, as docker does; stdin
    // still being read would keep the process alive.
    const interrupted = () => {
      if (usesStdin) (ctx.stdin as NodeJS.ReadStream).destroy();
      return interruption.exitCode();
    };

    let imageId = "";
    let failure: { message: string; code: number } | undefined;
    try {
      await withClient(ctx, async (client) => {
        const messages = client.imageBuild(
          withUploadProgress(context.body, progressOut, terminal),
          imageBuildOptions(flags, ctx.env, context.dockerfile),
          interruption.signal,
        );
        for await (const message of messages) {
          if (message.aux !== undefined) {
            imageId = message.aux.ID ?? imageId;
            continue;
          }
          if (message.errorDetail !== undefined || message.error !== undefined) {
            // The CLI's StatusError: the message, and the step's exit code (1 when there is none).
            failure = { message: message.errorDetail?.message ?? message.error ?? "", code: message.errorDetail?.code || 1 };
            return;
          }
          displayMessage(message, buildOut, terminal);
        }
      });
    } catch (err) {
      if (interruption.receivedSignal !== undefined) return interrupted();
      if (quiet) ctx.stderr.write(progressText);
      if (err instanceof MoorError || err instanceof ConnectionError || err instanceof CommandError) throw err;
      // The context could not be read while it was sent (a file that shrank, stdin failing).
      throw new CommandError((err as Error).message);
    } finally {
      interruption.release();
    }
    if (interruption.receivedSignal !== undefined) return interrupted();

    if (failure !== undefined) {
      if (quiet) ctx.stderr.write(progressText + buildText);
      throw new CommandError(failure.message, failure.code);
    }
    if (quiet) {
      // With q the engine's whole answer is the image ID line; the CLI prints (and saves) it as is.
      imageId = buildText;
      ctx.stdout.write(buildText);
    }
    if (iidfile !== "") {
      if (imageId === "") throw new CommandError(`server did not provide an image ID. Cannot write ${iidfile}`);
      await writeFile(iidfile, imageId, { mode: 0o666 }).catch((err: unknown) => {
        throw new CommandError(fileErrorText("open", iidfile, err));
      });
    }
    return 0;
  },
};

export const buildCommands: CommandSpec[] = [build];
