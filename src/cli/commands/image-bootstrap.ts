/**
 * `moor image bootstrap`: a Debian base image without a registry. moor cannot pull, so
 * `FROM debian:bookworm` needs the image made here: debootstrap builds a minbase root
 * filesystem from the Debian mirror apt already uses, it is tidied the way the official image
 * is (debuerreotype's steps, where cheap), packed once into a cached tarball, and imported
 * through the same API call as `moor import`.
 *
 * This is the CLI's only command that runs programs (debootstrap, tar, rm, umount, through
 * ../run-program.ts). It runs on the engine's machine (the CLI only speaks to unix sockets), as
 * root.
 */
import { createHash } from "node:crypto";
import { accessSync, constants, createReadStream } from "node:fs";
import { chmod, mkdir, mkdtemp, open, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { undefinedIfNotFound } from "../../errors.ts";
import { chooseMirrors, debianSourcesFile, debianVersionOf, defaultSecurityMirror, parseDeb822Sources, parseOneLineSources, type AptSource, type ChosenMirrors } from "../apt-sources.ts";
import { CommandError, type CommandContext, type CommandSpec } from "../command.ts";
import { Interruption } from "../interrupt.ts";
import { withClient } from "../program.ts";
import { processExists, runProgram } from "../run-program.ts";

/** Finished root filesystem tarballs, one per suite and architecture, kept between runs. */
export const bootstrapCacheDir = "/var/lib/moor/bootstrap";

/** The official image's config: `docker inspect debian:bookworm` has exactly these. */
const imageChanges = ['CMD ["bash"]', "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"];

/** Node's process.arch → Debian's architecture name (dpkg --print-architecture). */
const debianArchitectures: Partial<Record<NodeJS.Architecture, string>> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "armhf",
  ia32: "i386",
  ppc64: "ppc64el",
  s390x: "s390x",
  riscv64: "riscv64",
};

const bootstrapCommand: CommandSpec = {
  path: ["image", "bootstrap"],
  usage: "[OPTIONS]",
  description: `Build a Debian base image (debian:bookworm, debian:12) with debootstrap

moor has no registry to pull from, so images that start FROM debian:bookworm
need a base image made on this machine. This runs debootstrap --variant=minbase
against the Debian mirror apt is configured with (/etc/apt/sources.list and
/etc/apt/sources.list.d), tidies the root filesystem the way the official image
is (no apt lists or caches, no host hostname or resolv.conf, Docker's apt
settings, a deb822 debian.sources listing <suite>, <suite>-updates and
<suite>-security), and imports it as debian:<suite> plus its version tag
(debian:12).

The finished root filesystem is cached in ${bootstrapCacheDir}/debian-<suite>-<arch>.tar
and reused by later runs until --refresh. The first run downloads about 40 MB
and takes a minute or a few. Needs root and the debootstrap package.`,
  examples: `moor image bootstrap                  # debian:bookworm and debian:12
moor image bootstrap --refresh        # rebuild from the mirror (security updates)
moor image bootstrap --mirror http://ftp.de.debian.org/debian
moor image bootstrap --suite trixie   # debian:trixie and debian:13`,
  args: { max: 0 },
  flags: [
    { long: "mirror", type: "string", usage: "Debian mirror to bootstrap from (default: the one apt uses)" },
    { long: "suite", type: "string", usage: 'Debian release to bootstrap (default "bookworm")' },
    { long: "refresh", type: "bool", usage: "Rebuild the cached root filesystem instead of reusing it" },
    { long: "quiet", short: "q", type: "bool", usage: "Print only the image ID" },
  ],
  async run(ctx, _args, flags) {
    const suite = (flags.suite as string | undefined) || "bookworm";
    if (!/^[a-z][a-z0-9-]*$/.test(suite)) throw new CommandError(`invalid suite ${JSON.stringify(suite)}: expected a Debian codename such as bookworm`);
    const mirrorFlag = flags.mirror as string | undefined;
    if (mirrorFlag !== undefined && !/^(https?|ftp|file):/.test(mirrorFlag)) {
      throw new CommandError(`invalid mirror ${JSON.stringify(mirrorFlag)}: expected an http://, https://, ftp:// or file: URL`);
    }
    const say = flags.quiet ? () => undefined : (line: string) => void ctx.stdout.write(`${line}\n`);
    if (process.getuid?.() !== 0) {
      throw new CommandError(
        "moor image bootstrap must run as root: debootstrap creates device nodes and files owned by other users, and the cache lives in /var/lib/moor/bootstrap (try: sudo moor image bootstrap)",
      );
    }
    const arch = debianArchitectures[process.arch];
    if (arch === undefined) throw new CommandError(`moor image bootstrap does not know Debian's name for the ${process.arch} architecture`);

    await mkdir(bootstrapCacheDir, { recursive: true, mode: 0o700 });
    const tarball = join(bootstrapCacheDir, `debian-${suite}-${arch}.tar`);
    const refresh = Boolean(flags.refresh);
    const id = await withBootstrapLock(`${tarball}.lock`, say, async () => {
      const built = refresh ? undefined : await builtAt(tarball);
      if (built !== undefined) {
        say(`Using the cached root filesystem ${tarball} (built ${built}; --refresh rebuilds it)`);
      } else {
        const debootstrap = findExecutable("debootstrap", ctx.env.PATH ?? "");
        if (debootstrap === undefined) {
          throw new CommandError("debootstrap is not installed: install it with 'apt-get install debootstrap', then run 'moor image bootstrap' again");
        }
        const mirrors = resolveMirrors(await readAptSources(), suite, mirrorFlag);
        if (mirrors.borrowedFrom !== undefined) say(`apt lists no source for ${suite}; using ${mirrors.mirror}, which apt uses for ${mirrors.borrowedFrom}`);
        await buildTarball({ debootstrap, suite, arch, mirrors, tarball, say });
      }
      return importTarball(ctx, tarball, suite, say);
    });
    ctx.stdout.write(`${id}\n`);
    return 0;
  },
};

export const imageBootstrapCommands: CommandSpec[] = [bootstrapCommand];

/**
 * debian:<suite> (and its version tag) from the tarball, unless the engine already has an image
 * made from this very tarball: importing again would unpack the same layer only to drop it, and
 * leave the previous image dangling (its ID differs by the created time).
 */
async function importTarball(ctx: CommandContext, tarball: string, suite: string, say: (line: string) => void): Promise<string> {
  const diffId = `sha256:${await sha256File(tarball)}`;
  const repoTag = `debian:${suite}`;
  const version = debianVersionOf(suite);
  const id = await withClient(ctx, async (client) => {
    const current = await undefinedIfNotFound(client.imageInspect(repoTag));
    let imageId: string;
    if (current !== undefined && current.RootFS.Layers.length === 1 && current.RootFS.Layers[0] === diffId) {
      say(`${repoTag} is up to date with ${tarball}`);
      imageId = current.Id;
    } else {
      say(`Importing ${tarball} as ${repoTag}...`);
      imageId = await client.imageImport(await readFile(tarball), {
        repo: repoTag,
        message: `moor image bootstrap: debootstrap --variant=minbase ${suite}`,
        changes: imageChanges,
      });
    }
    if (version !== undefined) await client.imageTag(imageId, "debian", version);
    return imageId;
  });
  say(`Tagged ${[repoTag, ...(version === undefined ? [] : [`debian:${version}`])].join(", ")}`);
  return id;
}

/** When the cached tarball was finished, or undefined when there is none. */
async function builtAt(tarball: string): Promise<string | undefined> {
  try {
    return (await stat(tarball)).mtime.toISOString().replace(/\.\d+Z$/, "Z");
  } catch {
    return undefined;
  }
}

function findExecutable(name: string, path: string): string | undefined {
  // sudo and login shells of ordinary users often leave the sbin directories, where debootstrap lives, off PATH.
  for (const dir of [...path.split(":").filter(Boolean), "/usr/local/sbin", "/usr/sbin", "/sbin"]) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Every binary source apt reads: sources.list, then sources.list.d's *.list and *.sources in apt's (name) order. */
async function readAptSources(): Promise<AptSource[]> {
  const read = (path: string) => readFile(path, "utf8").catch(() => "");
  const sources = parseOneLineSources(await read("/etc/apt/sources.list"));
  const dir = "/etc/apt/sources.list.d";
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.sort()) {
    if (name.endsWith(".list")) sources.push(...parseOneLineSources(await read(join(dir, name))));
    else if (name.endsWith(".sources")) sources.push(...parseDeb822Sources(await read(join(dir, name))));
  }
  return sources;
}

function resolveMirrors(sources: AptSource[], suite: string, mirrorFlag: string | undefined): ChosenMirrors {
  const fromApt = chooseMirrors(sources, suite);
  if (mirrorFlag !== undefined && mirrorFlag !== "") {
    return { mirror: mirrorFlag.replace(/\/+$/, ""), security: fromApt?.security ?? defaultSecurityMirror };
  }
  if (fromApt === undefined) {
    throw new CommandError(
      `apt lists no Debian mirror serving ${suite} main (read /etc/apt/sources.list and /etc/apt/sources.list.d): pass one with --mirror, e.g. --mirror http://deb.debian.org/debian`,
    );
  }
  return fromApt;
}

/**
 * One bootstrap per tarball at a time (two `moor image bootstrap` runs, or two test files),
 * build and import both: a run that waited finds the tarball built and the image imported
 * instead of building or importing a duplicate. The lock is a file holding the holder's PID,
 * created exclusively; a lock whose process is gone was left by a crash and is taken over.
 */
async function withBootstrapLock<T>(lockPath: string, say: (line: string) => void, work: () => Promise<T>): Promise<T> {
  let told = false;
  for (;;) {
    try {
      const handle = await open(lockPath, "wx", 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = Number((await readFile(lockPath, "utf8").catch(() => "")).trim());
    if (!Number.isInteger(holder) || holder <= 0 || !processExists(holder)) {
      await unlink(lockPath).catch(() => undefined);
      continue;
    }
    if (!told) say(`Waiting for another bootstrap (process ${holder}) to finish...`);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  try {
    return await work();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}

interface BuildRequest {
  debootstrap: string;
  suite: string;
  arch: string;
  mirrors: ChosenMirrors;
  tarball: string;
  say: (line: string) => void;
}

/**
 * debootstrap into a scratch directory beside the cache (same filesystem, so the finished
 * tarball is renamed into place: a reader never sees half of one), tidy, pack. The scratch
 * directory goes whatever happens, also on Ctrl-C or SIGTERM, which stop the build's
 * processes first.
 */
async function buildTarball(request: BuildRequest): Promise<void> {
  const { suite, say } = request;
  const work = await mkdtemp(join(bootstrapCacheDir, `build-${suite}-`));
  const rootfs = join(work, "rootfs");
  const interruption = new Interruption();
  const { signal } = interruption;
  try {
    await runDebootstrap(request, rootfs, signal);
    signal.throwIfAborted();
    await tidyRootfs(rootfs, suite, request.mirrors);
    signal.throwIfAborted();
    say(`Packing the root filesystem into ${request.tarball}...`);
    const packed = join(work, "rootfs.tar");
    await packRootfs(rootfs, packed, signal);
    signal.throwIfAborted();
    await chmod(packed, 0o600);
    await rename(packed, request.tarball);
  } catch (err) {
    if (interruption.receivedSignal !== undefined) {
      throw new CommandError(`moor image bootstrap: interrupted by ${interruption.receivedSignal}; the unfinished root filesystem was removed`, interruption.exitCode());
    }
    throw err;
  } finally {
    // The signals stay caught until the scratch directory is gone: a second Ctrl-C must not cut the cleanup short.
    await removeScratch(work).finally(() => interruption.release());
  }
}

/** debootstrap --variant=minbase into `rootfs`, telling its phases and warnings as they come. */
async function runDebootstrap(request: BuildRequest, rootfs: string, signal: AbortSignal): Promise<void> {
  const { suite, mirrors, say } = request;
  say(`Bootstrapping debian ${suite} from ${mirrors.mirror} (this takes a few minutes)...`);
  const phases = new Set<string>();
  const debootstrap = await runProgram(request.debootstrap, ["--variant=minbase", `--arch=${request.arch}`, suite, rootfs, mirrors.mirror], {
    signal,
    onLine: (line) => {
      const phase = debootstrapPhase(line);
      if (phase !== undefined && !phases.has(phase)) {
        phases.add(phase);
        say(`  ${phase}`);
      }
      if (line.startsWith("W: ")) say(`  ${line}`);
    },
  });
  signal.throwIfAborted();
  if (debootstrap.code === 0) return;
  const log = await readFile(join(rootfs, "debootstrap", "debootstrap.log"), "utf8").catch(() => "");
  const detail = [...debootstrap.lastLines, ...(log === "" ? [] : ["--- debootstrap.log (end) ---", ...log.trimEnd().split("\n").slice(-20)])].join("\n");
  throw new CommandError(`debootstrap failed (exit ${debootstrap.code}) for ${suite} from ${mirrors.mirror}:\n${detail}`);
}

/**
 * The official image's tar (debuerreotype-tar): numeric owners, name order, empty /dev, /proc
 * and /sys (the engine mounts its own there). xattrs keep file capabilities; --one-file-system
 * keeps anything still mounted inside out of the image.
 */
async function packRootfs(rootfs: string, tarball: string, signal: AbortSignal): Promise<void> {
  const tar = await runProgram(
    "tar",
    [
      "--create",
      "--file",
      tarball,
      "--directory",
      rootfs,
      "--numeric-owner",
      "--xattrs",
      "--xattrs-include=*",
      "--sort=name",
      "--one-file-system",
      "--anchored",
      "--exclude=./dev/*",
      "--exclude=./proc/*",
      "--exclude=./sys/*",
      ".",
    ],
    { signal },
  );
  signal.throwIfAborted();
  if (tar.code !== 0) throw new CommandError(`packing the root filesystem failed (tar exit ${tar.code}):\n${tar.lastLines.join("\n")}`);
}

/** debootstrap's `I:` lines, a few hundred, as the handful of phases worth telling. */
function debootstrapPhase(line: string): string | undefined {
  const verb = /^I: (\S+)/.exec(line)?.[1];
  if (verb === undefined) return undefined;
  if (["Retrieving", "Validating", "Checking", "Resolving", "Valid", "Chosen"].includes(verb)) return "downloading packages";
  if (verb === "Extracting") return "extracting packages";
  if (["Installing", "Unpacking", "Configuring"].includes(verb)) return "installing packages";
  if (verb === "Base") return "base system installed";
  return undefined;
}

/**
 * What debuerreotype does to the official image, where it is cheap: no apt indexes, caches,
 * logs or host files, the image's own apt sources, and Docker's apt/dpkg settings.
 */
async function tidyRootfs(rootfs: string, suite: string, mirrors: ChosenMirrors): Promise<void> {
  const at = (path: string) => join(rootfs, path);
  // ≈80 MB of package lists and .debs debootstrap downloaded; `apt-get update` fetches fresh ones.
  for (const dir of ["var/lib/apt/lists", "var/cache/apt"]) {
    for (const entry of await readdir(at(dir)).catch(() => [] as string[])) await rm(join(at(dir), entry), { recursive: true, force: true });
  }
  // Logs with this build's times, and files debootstrap copied from this host (the engine
  // gives each container its own hostname, hosts and resolv.conf).
  for (const file of [
    "var/log/dpkg.log",
    "var/log/bootstrap.log",
    "var/log/alternatives.log",
    "var/log/apt/history.log",
    "var/log/apt/term.log",
    "var/cache/ldconfig/aux-cache",
    "run/mount/utab",
    "etc/hostname",
    "etc/hosts",
    "etc/resolv.conf",
    // The one-line list debootstrap wrote; the image's sources are the deb822 file below.
    "etc/apt/sources.list",
  ]) {
    await rm(at(file), { force: true });
  }
  await rmdir(at("run/mount")).catch(() => undefined);

  const write = async (path: string, text: string, mode = 0o644) => {
    await mkdir(join(at(path), ".."), { recursive: true });
    await writeFile(at(path), text, { mode });
    await chmod(at(path), mode);
  };
  await write("etc/apt/sources.list.d/debian.sources", debianSourcesFile(suite, mirrors));
  // Package installs happen in build steps: services must not start there (invoke-rc.d asks
  // this script; 101 is "action forbidden"), and what apt downloads or indexes is dead weight
  // in a layer. These are the official image's settings, with their effect.
  await write("usr/sbin/policy-rc.d", "#!/bin/sh\n# Containers and image builds have no init to start services with.\nexit 101\n", 0o755);
  await write("etc/dpkg/dpkg.cfg.d/docker-apt-speedup", "# A build step is thrown away on failure anyway: dpkg need not sync after each file.\nforce-unsafe-io\n");
  const clean = '"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";';
  await write(
    "etc/apt/apt.conf.d/docker-clean",
    `// Downloaded .debs and apt's binary caches would only grow each image layer.\nDPkg::Post-Invoke { ${clean} };\nAPT::Update::Post-Invoke { ${clean} };\n\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n`,
  );
  await write(
    "etc/apt/apt.conf.d/docker-autoremove-suggests",
    '// `apt-get purge --auto-remove` should remove what an install pulled in, even if something suggests it.\nApt::AutoRemove::SuggestsImportant "false";\n',
  );
  await write("etc/apt/apt.conf.d/docker-gzip-indexes", '// Package lists stay compressed on disk: smaller `apt-get update` layers.\nAcquire::GzipIndexes "true";\n');
  await write("etc/apt/apt.conf.d/docker-no-languages", '// No translated package descriptions: faster `apt-get update`.\nAcquire::Languages "none";\n');
}

/**
 * Removes a scratch directory that may still hold mounts: debootstrap mounts /proc and /sys
 * into its target (and binds the host's /dev when it thinks it runs in a container), and a
 * killed debootstrap leaves them. They are detached first, and rm never crosses into another
 * filesystem, so nothing of the host is deleted through a leftover mount.
 */
async function removeScratch(dir: string): Promise<void> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  const mounted = mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((point): point is string => point !== undefined)
    .map((point) => point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounted) await runProgram("umount", ["--lazy", point]);
  const removed = await runProgram("rm", ["-rf", "--one-file-system", dir]);
  if (removed.code !== 0) throw new CommandError(`removing the bootstrap scratch directory ${dir} failed:\n${removed.lastLines.join("\n")}`);
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
