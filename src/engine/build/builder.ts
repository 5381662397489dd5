import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { mkdir, readdir, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { MoorError } from "../../errors.ts";
import { Filters } from "../filters.ts";
import { matchesOrParentMatches, readIgnoreFile } from "../../util/dockerignore.ts";
import { randomId } from "../../util/ids.ts";
import { ScopedTree, unpackTar } from "../../util/scoped-tree.ts";
import { makeNode } from "../tree-archive.ts";
import { gunzipSync } from "node:zlib";
import type { ContainerService } from "../containers/service.ts";
import { mountRootfs, resolveUser, unmountRootfs } from "../containers/rootfs.ts";
import { mountsUnder, removeTree } from "../fs.ts";
import { upperDirArchive } from "../images/layer-archive.ts";
import { emptyContainerConfig, type ContainerConfig, type HealthConfig } from "../images/image-config.ts";
import type { Image, ImageService } from "../images/service.ts";
import type { Logger } from "../logger.ts";
import { runWithInput } from "../runtime/command.ts";
import { BuildArgs } from "./build-args.ts";
import { copyIntoUpper, ensureUpperDirectory, extractArchive, findSources, planDirectory, sourceDigest, writeInlineFile, type CopyItem, type CopyOwnership, type DirectoryPlan } from "./copy.ts";
import { parseDockerfile, DockerfileError, type Command, type ParsedDockerfile, type Stage } from "./dockerfile.ts";
import { BuildStepError } from "./errors.ts";
import { archiveKind, decompressedFile, fetchUrl, isArchive, isUrl } from "./sources.ts";
import { goQuoteSlice, healthcheckComment } from "./go-format.ts";
import { parseExposedPorts, validateStopSignal } from "./metadata.ts";
import { ShellLex } from "./shell-lex.ts";

export interface BuildRequest {
  /** The build context: a tar stream, or a bare Dockerfile (`docker build - < Dockerfile`). */
  context: AsyncIterable<Buffer>;
  /** The Dockerfile's path in the context ("" for the default). */
  dockerfile: string;
  buildArgs: Record<string, string | null>;
  target: string;
  noCache: boolean;
  labels: Record<string, string>;
}

/** Where a build's progress goes: its step lines, a RUN's output, and each stage's image. */
export interface BuildOutput {
  stdout(text: string): void;
  stderr(text: string): void;
  aux(imageId: string): void;
}

/** A build whose context is unpacked and whose Dockerfile parsed: what can fail before output starts has failed. */
export interface PreparedBuild {
  run(output: BuildOutput, signal: AbortSignal): Promise<string>;
  /** Removes the context and every scratch layer; safe to call more than once. */
  dispose(): Promise<void>;
}

/** A step's file work on its mounted scratch layer; what it returns runs on the unmounted upper directory. */
type StepWork = (rootfs: string) => Promise<((upper: string) => Promise<void>) | void>;

interface StageState {
  image: Image | undefined;
  runConfig: ContainerConfig;
  maintainer: string;
  cmdSet: boolean;
  args: BuildArgs;
}

const defaultShell = ["/bin/sh", "-c"];
/** Marks the containers that run a build's RUN steps, so an engine that died mid-build can find them. */
const buildStepLabel = "org.moor.build-step";
/** Contexts up to this size are unpacked in-process (no tar process to start). */
const smallContextBytes = 1 << 20;

/**
 * The Dockerfile builder behind `POST /build`, with the classic builder's model: every step
 * makes an image on top of the previous one (a RUN in a real container through the same
 * runtime, COPY and ADD on a scratch overlay layer, the rest as config only), and a step whose
 * parent and cache key were seen before reuses that image.
 */
export class Builder {
  constructor(
    private readonly images: ImageService,
    private readonly containers: ContainerService,
    /** Scratch space: `<root>/builds/<build id>`. */
    private readonly dir: string,
    private readonly log: Logger,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Unpacks the context and parses the Dockerfile; errors here are the client's (400) and come before any output. */
  async prepare(request: BuildRequest): Promise<PreparedBuild> {
    const workDir = join(this.dir, randomId().slice(0, 16));
    const contextDir = join(workDir, "context");
    await mkdir(contextDir, { recursive: true, mode: 0o700 });
    let disposed = false;
    const dispose = async () => {
      if (disposed) return;
      disposed = true;
      await this.removeWorkDir(workDir);
    };
    try {
      const dockerfileName = await receiveContext(request.context, contextDir, request.dockerfile || "Dockerfile");
      const parsed = parseDockerfile(await readDockerfile(contextDir, dockerfileName), posix.basename(dockerfileName));
      await removeIgnoredBuildFiles(contextDir, dockerfileName);
      let stages = parsed.stages;
      if (stages.length === 0) throw new MoorError("invalid", "the Dockerfile (Dockerfile) cannot be empty");
      if (request.target !== "") {
        const index = stages.findIndex((stage) => stage.name === request.target.toLowerCase());
        if (index === -1) throw new MoorError("invalid", `target stage ${JSON.stringify(request.target)} could not be found`);
        stages = stages.slice(0, index + 1);
      }
      const last = stages.at(-1)!;
      const labelCommands: Command[] = Object.keys(request.labels)
        .sort()
        .map((key) => ({ kind: "LABEL", pairs: [{ key, value: request.labels[key] }], literal: true, line: 0, code: `LABEL ${key}=${request.labels[key]}` }));
      stages = [...stages.slice(0, -1), { ...last, commands: [...last.commands, ...labelCommands] }];
      const build = new BuildRun(this.images, this.containers, workDir, contextDir, { ...parsed, stages }, request, this.log);
      return { run: (output, signal) => build.run(output, signal).finally(dispose), dispose };
    } catch (err) {
      await dispose();
      if (err instanceof DockerfileError) throw new MoorError("invalid", err.message, { cause: err });
      throw err;
    }
  }

  /**
   * At start: a build the last engine was running when it died is over. Its RUN containers
   * (labelled) are removed, its scratch layers unmounted and its files deleted.
   */
  async recover(): Promise<void> {
    for (const container of this.containers.list({ all: true, filters: new Filters([["label", [buildStepLabel]]]) })) {
      await this.containers.remove(container.id, { force: true, volumes: true });
    }
    for (const entry of await readdir(this.dir)) await this.removeWorkDir(join(this.dir, entry));
  }

  private async removeWorkDir(workDir: string): Promise<void> {
    for (const mount of mountsUnder(workDir)) {
      await unmountRootfs(posix.dirname(mount)).catch((err: unknown) => this.log.warn({ err, mount }, "unmounting a build layer failed"));
    }
    await removeTree(workDir);
  }
}

/** One build: its stages run in order, each step printed as the classic builder prints it. */
class BuildRun {
  private readonly stageImages = new Map<string, Image | undefined>();
  private readonly stageOrder: Array<Image | undefined> = [];
  private output!: BuildOutput;
  private signal!: AbortSignal;
  private scratchCount = 0;
  private readonly shlex: ShellLex;
  private readonly globalArgs: BuildArgs;

  constructor(
    private readonly images: ImageService,
    private readonly containers: ContainerService,
    private readonly workDir: string,
    private readonly contextDir: string,
    private readonly parsed: ParsedDockerfile,
    private readonly request: BuildRequest,
    private readonly log: Logger,
  ) {
    this.shlex = new ShellLex(parsed.escapeToken);
    this.globalArgs = new BuildArgs(request.buildArgs);
  }

  async run(output: BuildOutput, signal: AbortSignal): Promise<string> {
    this.output = output;
    this.signal = signal;
    const { metaArgs, stages } = this.parsed;
    const total = metaArgs.length + stages.reduce((sum, stage) => sum + 1 + stage.commands.length, 0);
    let step = 1;
    const print = (code: string) => {
      output.stdout(`Step ${step++}/${total} : ${code}`);
      output.stdout("\n");
    };
    for (const meta of metaArgs) {
      print(meta.code);
      for (const arg of meta.args) {
        const value = arg.value === undefined ? undefined : this.expand(arg.value, this.globalArgs.metaEnvironment());
        this.globalArgs.declareMeta(arg.key, value);
      }
    }
    let state: StageState | undefined;
    for (const stage of stages) {
      print(stage.code);
      state = await this.startStage(stage);
      output.stdout(` ---> ${shortId(state.image)}\n`);
      for (const command of stage.commands) {
        if (signal.aborted) {
          output.stdout("Build cancelled\n");
          throw new BuildStepError("Build cancelled");
        }
        print(command.code);
        await this.dispatch(state, command);
        output.stdout(` ---> ${shortId(state.image)}\n`);
      }
      if (state.image !== undefined) output.aux(state.image.id);
      this.globalArgs.mergeReferenced(state.args);
      this.stageOrder.push(state.image);
      if (stage.name !== "") this.stageImages.set(stage.name, state.image);
    }
    const unused = this.globalArgs.unused();
    if (unused.length > 0) output.stdout(`[Warning] One or more build-args [${unused.join(" ")}] were not consumed\n`);
    if (state?.image === undefined) throw new BuildStepError("No image was generated. Is your Dockerfile empty?");
    return state.image.id;
  }

  private async startStage(stage: Stage): Promise<StageState> {
    const baseName = this.expand(stage.baseName, this.globalArgs.metaEnvironment());
    if (baseName === "") throw new BuildStepError(`base name (${stage.baseName}) should not be blank`);
    let image: Image | undefined;
    if (this.stageImages.has(baseName.toLowerCase())) image = this.stageImages.get(baseName.toLowerCase());
    else if (baseName.toLowerCase() !== "scratch") image = this.images.inspect(baseName);
    const runConfig: ContainerConfig = image === undefined ? emptyContainerConfig() : structuredClone(image.config.config);
    const state: StageState = { image, runConfig, maintainer: "", cmdSet: false, args: this.globalArgs.forStage() };
    const triggers = runConfig.OnBuild ?? [];
    if (triggers.length > 0) {
      this.output.stdout(`# Executing ${triggers.length} build trigger${triggers.length === 1 ? "" : "s"}\n`);
      for (const trigger of triggers) {
        const parsed = parseDockerfile(`FROM scratch\n${trigger}`).stages[0].commands;
        if (parsed.length !== 1) throw new BuildStepError("onbuild trigger should be a single expression");
        await this.dispatch(state, parsed[0]);
      }
    }
    state.runConfig.OnBuild = null;
    return state;
  }

  private environment(state: StageState): Map<string, string> {
    const env = new Map<string, string>();
    for (const [key, value] of state.args.allowed(state.runConfig.Env ?? [])) env.set(key, value);
    for (const entry of state.runConfig.Env ?? []) {
      const equals = entry.indexOf("=");
      env.set(equals === -1 ? entry : entry.slice(0, equals), equals === -1 ? "" : entry.slice(equals + 1));
    }
    return env;
  }

  private expand(word: string, env: Map<string, string>): string {
    try {
      return this.shlex.processWord(word, env);
    } catch (err) {
      throw new BuildStepError((err as Error).message);
    }
  }

  private async dispatch(state: StageState, command: Command): Promise<void> {
    const env = this.environment(state);
    const config = state.runConfig;
    switch (command.kind) {
      case "ENV": {
        const added: string[] = [];
        for (const pair of command.pairs) {
          const key = this.expand(pair.key, env);
          const value = this.expand(pair.value, env);
          added.push(`${key}=${value}`);
          config.Env = [...(config.Env ?? []).filter((entry) => entry.split("=")[0] !== key), `${key}=${value}`];
          env.set(key, value);
        }
        return this.commit(state, `ENV ${added.join(" ")}`);
      }
      case "LABEL": {
        const labels = { ...(config.Labels ?? {}) };
        const parts: string[] = [];
        for (const pair of command.pairs) {
          const key = command.literal ? pair.key : this.expand(pair.key, env);
          const value = command.literal ? pair.value : this.expand(pair.value, env);
          labels[key] = value;
          parts.push(`${key}=${value}`);
        }
        config.Labels = labels;
        return this.commit(state, `LABEL ${parts.join(" ")}`);
      }
      case "MAINTAINER":
        state.maintainer = command.maintainer;
        return this.commit(state, `MAINTAINER ${command.maintainer}`);
      case "WORKDIR": {
        const path = this.expand(command.path, env);
        config.WorkingDir = posix.isAbsolute(path) ? posix.normalize(path) : posix.join("/", config.WorkingDir || "/", path);
        const workdir = config.WorkingDir;
        return this.commit(state, `WORKDIR ${workdir}`, async (rootfs) => {
          const tree = await ScopedTree.open(rootfs);
          try {
            const probe = await tree.locate(posix.join(workdir, ".moor-workdir"), { createDirectories: {} });
            await tree.release(probe);
          } finally {
            await tree.close();
          }
        });
      }
      case "USER":
        config.User = this.expand(command.user, env);
        return this.commit(state, `USER ${config.User}`);
      case "VOLUME": {
        const volumes = { ...(config.Volumes ?? {}) };
        const expanded = command.volumes.map((volume) => this.expand(volume, env));
        for (const volume of expanded) {
          if (volume.trim() === "") throw new BuildStepError("VOLUME specified can not be an empty string");
          volumes[volume] = {};
        }
        config.Volumes = volumes;
        return this.commit(state, `VOLUME [${expanded.join(" ")}]`);
      }
      case "STOPSIGNAL": {
        const signal = this.expand(command.signal, env);
        validateStopSignal(signal);
        config.StopSignal = signal;
        return this.commit(state, `STOPSIGNAL ${signal}`);
      }
      case "EXPOSE": {
        const ports = command.ports.map((port) => this.expand(port, env));
        config.ExposedPorts = { ...(config.ExposedPorts ?? {}), ...parseExposedPorts(ports) };
        return this.commit(state, `EXPOSE ${ports.join(" ")}`);
      }
      case "CMD": {
        const cmd = command.prependShell ? [...this.shell(state), ...(command.cmdLine ?? [])] : (command.cmdLine ?? []);
        config.Cmd = cmd;
        state.cmdSet = true;
        return this.commit(state, `CMD ${goQuoteSlice(cmd)}`);
      }
      case "ENTRYPOINT": {
        const entrypoint = command.cmdLine === null ? null : command.prependShell ? [...this.shell(state), ...command.cmdLine] : command.cmdLine;
        config.Entrypoint = entrypoint;
        // An ENTRYPOINT drops the base image's CMD, unless this stage set one.
        if (!state.cmdSet) config.Cmd = null;
        return this.commit(state, `ENTRYPOINT ${goQuoteSlice(entrypoint ?? [])}`);
      }
      case "HEALTHCHECK": {
        const health: HealthConfig = { ...command.health };
        config.Healthcheck = health;
        return this.commit(state, `HEALTHCHECK ${healthcheckComment(health)}`);
      }
      case "SHELL":
        config.Shell = command.shell;
        return this.commit(state, `SHELL ${goQuoteSlice(command.shell)}`);
      case "ONBUILD":
        config.OnBuild = [...(config.OnBuild ?? []), command.expression];
        return this.commit(state, `ONBUILD ${command.expression}`);
      case "ARG": {
        const parts: string[] = [];
        for (const arg of command.args) {
          const value = arg.value === undefined ? undefined : this.expand(arg.value, env);
          state.args.declare(arg.key, value);
          parts.push(value === undefined ? arg.key : `${arg.key}=${value}`);
        }
        return this.commit(state, `ARG ${parts.join(" ")}`);
      }
      case "RUN":
        return this.runStep(state, command);
      case "COPY":
      case "ADD":
        return this.copy(state, command, env);
    }
  }

  private shell(state: StageState): string[] {
    return state.runConfig.Shell && state.runConfig.Shell.length > 0 ? state.runConfig.Shell : defaultShell;
  }

  /**
   * A config-only step, or one whose files `work` writes into a scratch layer over the current
   * image: served from the cache when this parent made the same step before.
   */
  private async commit(state: StageState, comment: string, work?: StepWork, contentKey?: string): Promise<void> {
    // dockerd writes a copy's comment as one argument ("#(nop) COPY ...") and the others as two.
    const commentArgs = contentKey === undefined ? [`#(nop) `, comment] : [`#(nop) ${comment}`];
    const containerConfig: ContainerConfig = { ...structuredClone(state.runConfig), Cmd: [...this.shell(state), ...commentArgs] };
    const cacheKey = stepCacheKey(containerConfig, contentKey ?? "");
    if (this.useCache(state, cacheKey)) return;
    let layerDir: string | undefined;
    try {
      if (work !== undefined) layerDir = await this.scratchLayer(state.image, work);
      const upper = layerDir === undefined ? undefined : join(layerDir, "upper");
      await this.commitImage(state, containerConfig, cacheKey, upper === undefined ? undefined : { archive: upperDirArchive(upper), directory: upper });
    } finally {
      if (layerDir !== undefined) await this.removeScratchLayer(layerDir);
    }
  }

  private useCache(state: StageState, cacheKey: string): boolean {
    if (this.request.noCache) return false;
    const cached = this.images.cachedStep(state.image?.id ?? "", cacheKey);
    if (cached === undefined) return false;
    this.output.stdout(" ---> Using cache\n");
    state.image = cached;
    state.runConfig = structuredClone(cached.config.config);
    return true;
  }

  private async commitImage(
    state: StageState,
    containerConfig: ContainerConfig,
    cacheKey: string,
    layer: { archive: AsyncIterable<Buffer>; directory?: string } | undefined,
  ): Promise<void> {
    const image = await this.images.commit({
      parent: state.image,
      layer: layer?.archive,
      layerDirectory: layer?.directory,
      config: structuredClone(state.runConfig),
      containerConfig,
      createdBy: (containerConfig.Cmd ?? []).join(" "),
      author: state.maintainer,
    });
    this.images.rememberStep(state.image?.id ?? "", cacheKey, image.id);
    state.image = image;
  }

  /**
   * A writable overlay over `image`, mounted for `work`; returns its directory (upper holds the
   * changes). What `work` returns runs on the upper directory once the overlay is unmounted
   * (overlayfs must not see its layers change while mounted).
   */
  private async scratchLayer(image: Image | undefined, work: StepWork): Promise<string> {
    const { dir, rootfs } = await this.mountScratch("layer", image);
    let afterUnmount: ((upper: string) => Promise<void>) | void;
    try {
      afterUnmount = await work(rootfs);
    } finally {
      await unmountRootfs(dir);
    }
    if (afterUnmount) await afterUnmount(join(dir, "upper"));
    return dir;
  }

  /**
   * A writable overlay over `image` (an empty tree for none: a lone empty lowerdir) mounted at
   * `<dir>/rootfs`, in a new directory of this build's work directory.
   */
  private async mountScratch(kind: "layer" | "source", image: Image | undefined | null): Promise<{ dir: string; rootfs: string }> {
    const dir = join(this.workDir, `${kind}-${++this.scratchCount}`);
    for (const sub of ["upper", "work", "rootfs", "empty"]) await mkdir(join(dir, sub), { recursive: true, mode: 0o755 });
    const layers = image ? this.images.layerPaths(image) : [];
    try {
      return { dir, rootfs: await mountRootfs(dir, layers.length > 0 ? layers : [join(dir, "empty")]) };
    } catch (err) {
      await this.removeScratchLayer(dir);
      throw err;
    }
  }

  private async removeScratchLayer(dir: string): Promise<void> {
    await unmountRootfs(dir).catch(() => undefined);
    await removeTree(dir);
  }

  private async runStep(state: StageState, command: Extract<Command, { kind: "RUN" }>): Promise<void> {
    let cmdLine = command.cmdLine;
    let script: { name: string; data: string } | undefined;
    if (command.files.length > 0) {
      const first = command.files[0];
      if (cmdLine.length === 1 && /^\d*<<-?\s*["']?[^<]*$/.test(cmdLine[0].trim())) {
        // A lone heredoc: its content is the command, or the script to run when it has a shebang.
        if (first.content.startsWith("#!")) script = { name: first.name, data: first.content };
        else cmdLine = [first.content];
      } else {
        cmdLine = [cmdLine[0] + command.files.map((file) => `\n${file.content}${file.name}`).join("")];
      }
    }
    const argv = script !== undefined ? [`/dev/pipes/${script.name}`] : command.prependShell ? [...this.shell(state), ...cmdLine] : cmdLine;
    const argsEnv = state.args.allowed(state.runConfig.Env ?? []);
    const keyed = argsEnv.filter(([key]) => state.args.isReferencedOrNotBuiltin(key)).map(([key, value]) => `${key}=${value}`).sort();
    const savedCmd = argsEnv.length > 0 ? [`|${keyed.length}`, ...keyed, ...argv] : argv;
    const containerConfig: ContainerConfig = { ...structuredClone(state.runConfig), Cmd: savedCmd };
    const cacheKey = stepCacheKey(containerConfig, script?.data ?? "");
    if (this.useCache(state, cacheKey)) return;
    if (state.image === undefined) throw new BuildStepError("Please provide a source image with `from` prior to run");
    const scriptDir = join(this.workDir, `script-${++this.scratchCount}`);
    const mounts: Array<Record<string, unknown>> = [];
    if (script !== undefined) {
      await mkdir(scriptDir, { recursive: true, mode: 0o755 });
      await writeFile(join(scriptDir, script.name), script.data, { mode: 0o755 });
      mounts.push({ Type: "bind", Source: join(scriptDir, script.name), Target: `/dev/pipes/${script.name}`, ReadOnly: true });
    }
    const { id } = await this.containers.create({
      config: {
        ...structuredClone(state.runConfig),
        Cmd: argv,
        Entrypoint: [""],
        Env: [...(state.runConfig.Env ?? []), ...argsEnv.map(([key, value]) => `${key}=${value}`)],
        Image: state.image.id,
        AttachStdout: true,
        AttachStderr: true,
        Labels: { ...(state.runConfig.Labels ?? {}), [buildStepLabel]: "" },
      },
      hostConfig: { NetworkMode: "host", Mounts: mounts },
    });
    try {
      this.output.stdout(` ---> Running in ${id.slice(0, 12)}\n`);
      const exitCode = await this.runContainer(id);
      if (exitCode !== 0) throw new BuildStepError(`The command '${argv.join(" ")}' returned a non-zero code: ${exitCode}`, exitCode);
      const container = this.containers.inspect(id);
      await this.commitImage(state, containerConfig, cacheKey, { archive: upperDirArchive(join(container.dir, "upper")) });
    } finally {
      await this.containers.remove(id, { force: true, volumes: true }).catch((err: unknown) => this.log.warn({ err, id }, "removing a build container failed"));
      this.output.stdout(`Removing intermediate container ${id.slice(0, 12)}\n`);
      await removeTree(scriptDir);
    }
  }

  /** Starts the step's container with its output relayed; a cancelled build kills it. */
  private async runContainer(id: string): Promise<number> {
    if (this.signal.aborted) throw new BuildStepError("Build cancelled");
    const attaching = this.containers.attach(id, false);
    await this.containers.start(id);
    const session = await attaching;
    const kill = () => void this.containers.kill(id).catch((err: unknown) => this.log.warn({ err, id }, "killing a cancelled build step failed"));
    this.signal.addEventListener("abort", kill, { once: true });
    // Cancelled while the container was starting: the event has passed.
    if (this.signal.aborted) kill();
    try {
      if (session !== undefined) {
        for await (const chunk of session.output as AsyncIterable<{ stream: "stdout" | "stderr"; data: Buffer }>) {
          if (chunk.stream === "stderr") this.output.stderr(chunk.data.toString());
          else this.output.stdout(chunk.data.toString());
        }
      }
      const code = await this.containers.wait(id);
      if (this.signal.aborted) throw new BuildStepError("Build cancelled");
      return code;
    } finally {
      this.signal.removeEventListener("abort", kill);
    }
  }

  private async copy(state: StageState, command: Extract<Command, { kind: "COPY" | "ADD" }>, env: Map<string, string>): Promise<void> {
    const name = command.kind;
    const from = command.kind === "COPY" ? this.expand(command.from, env) : "";
    if (command.chmod !== "" && !/^[0-7]{1,4}$/.test(command.chmod)) throw new BuildStepError(`invalid chmod parameter: ${command.chmod}`);
    const mode = command.chmod === "" ? undefined : Number.parseInt(command.chmod, 8);
    let dest = this.expand(command.dest, env);
    const paths = command.source.paths.map((path) => this.expand(path, env));
    const trailingSlash = dest.endsWith("/") || dest.endsWith("/.") || dest === ".";
    if (!posix.isAbsolute(dest)) dest = posix.join("/", state.runConfig.WorkingDir || "/", dest) + (trailingSlash ? "/" : "");
    const chown = command.chown === "" ? "" : this.expand(command.chown, env);
    const urls = paths.filter(isUrl);
    if (urls.length > 0 && name === "COPY") throw new BuildStepError("source can't be a URL for COPY");

    const source = await this.copySourceRoot(from);
    try {
      const tree = await ScopedTree.open(source.root, { readOnly: true });
      const items: CopyItem[] = [];
      const digests: string[] = [];
      try {
        for (const path of paths.filter((path) => !isUrl(path))) {
          const found = await findSources(tree, source.root, path, () =>
            from === ""
              ? `${name} failed: file not found in build context or excluded by .dockerignore: stat ${path}: file does not exist`
              : `${name} failed: stat ${posix.join("/", path)}: file does not exist`,
          );
          if (found.length === 0) throw new BuildStepError(`${name} failed: no source files were specified`);
          items.push(...found);
        }
      } finally {
        await tree.close();
      }
      for (const item of items) digests.push(await sourceDigest(source.root, item));
      for (const url of urls) digests.push(`url:${url}`);
      for (const content of command.source.contents) digests.push(`heredoc:${createHash("sha256").update(content.content).digest("hex")}`);
      const count = items.length + urls.length + command.source.contents.length;
      if (count > 1 && !dest.endsWith("/")) throw new BuildStepError(`When using ${name} with more than one source file, the destination must be a directory and end with a /`);
      const sourceHash = digests.length === 1 ? digests[0] : `multi:${createHash("sha256").update(digests.join(",")).digest("hex")}`;
      const comment = `${name} ${chown === "" ? "" : `--chown=${chown} `}${sourceHash} in ${dest} `;
      await this.commit(
        state,
        comment,
        async (rootfs) => {
          const target = await ScopedTree.open(rootfs);
          const copies: Array<{ item: CopyItem; destination: string; plan: DirectoryPlan }> = [];
          let ownership: CopyOwnership;
          try {
            const owner = chown === "" ? (from === "" ? { uid: 0, gid: 0 } : undefined) : await resolveChown(rootfs, chown);
            ownership = { owner, mode };
            const destIsDir = dest.endsWith("/") || (await isDirectoryIn(target, dest));
            // Archives, downloads and inline files are written through the mounted root; plain
            // copies, the bulk of most contexts, go to the upper directory with GNU tar afterwards.
            for (const item of items) {
              if (name === "ADD" && from === "" && !item.isDirectory && (await isArchive(join(source.root, item.path)))) {
                await extractArchive(target, decompressedFile(join(source.root, item.path)), dest, chown === "" ? {} : ownership);
                continue;
              }
              const destination = item.isDirectory ? dest : destIsDir ? posix.join(dest, item.name) : dest;
              const directory = item.isDirectory ? destination : posix.dirname(destination);
              copies.push({ item, destination, plan: await planDirectory(rootfs, directory) });
            }
            for (const url of urls) {
              const file = await fetchUrl(url, this.signal);
              const destination = destIsDir ? posix.join(dest, file.name) : dest;
              await writeInlineFile(target, { ...file, mode: mode ?? 0o600 }, destination, { owner: ownership.owner ?? { uid: 0, gid: 0 } });
            }
            for (const content of command.source.contents) {
              const data = content.expand ? this.expand(content.content, env) : content.content;
              const destination = destIsDir ? posix.join(dest, content.name) : dest;
              await writeInlineFile(target, { name: content.name, data: Buffer.from(data), mode: mode ?? 0o644, mtime: Math.floor(Date.now() / 1000) }, destination, ownership);
            }
          } finally {
            await target.close();
          }
          return async (upper) => {
            for (const { item, destination, plan } of copies) {
              const directory = await ensureUpperDirectory(upper, plan, ownership.owner ?? { uid: 0, gid: 0 });
              // Context files are root's already (unpacked without their owners): linking keeps that.
              const linkable = from === "" && ownership.mode === undefined && ownership.owner?.uid === 0 && ownership.owner.gid === 0;
              await copyIntoUpper(source.root, item, directory, item.isDirectory ? undefined : posix.basename(destination), ownership, linkable);
            }
          };
        },
        sourceHash,
      );
    } finally {
      await source.release();
    }
  }

  /** Where a copy's sources are: the context, an empty tree (a stage with no step yet), or a stage's or image's root, mounted. */
  private async copySourceRoot(from: string): Promise<{ root: string; release: () => Promise<void> }> {
    if (from === "") return { root: this.contextDir, release: async () => {} };
    const { dir, rootfs } = await this.mountScratch("source", this.fromImage(from));
    return { root: rootfs, release: () => this.removeScratchLayer(dir) };
  }

  /** COPY --from: an earlier stage (by name or index), else an image; null for a stage built FROM scratch with no step. */
  private fromImage(from: string): Image | null {
    const key = from.toLowerCase();
    if (this.stageImages.has(key)) return this.stageImages.get(key) ?? null;
    if (/^\d+$/.test(from)) {
      const index = Number(from);
      if (index >= this.stageOrder.length) throw new BuildStepError(`invalid from flag value ${from}: refers to current build stage`);
      return this.stageOrder[index] ?? null;
    }
    try {
      return this.images.inspect(from);
    } catch (err) {
      throw new BuildStepError(`invalid from flag value ${from}: ${(err as Error).message}`);
    }
  }
}

/**
 * The cache key of a step: the config it runs with (its Cmd names the step) and the content it
 * copies. Keys are sorted at every level: a config read back from an image has another key
 * order than one built step by step, and must give the same key.
 */
export function stepCacheKey(containerConfig: ContainerConfig, content: string): string {
  return createHash("sha256").update(canonicalJson([containerConfig, content])).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

function shortId(image: Image | undefined): string {
  return image === undefined ? "" : image.id.slice("sha256:".length, "sha256:".length + 12);
}

async function resolveChown(rootfs: string, chown: string): Promise<{ uid: number; gid: number }> {
  const [user, group] = chown.split(":");
  try {
    const resolved = await resolveUser(rootfs, group === undefined ? user : `${user}:${group}`);
    // A user given alone takes its own group as primary only when named; a bare uid keeps gid = uid.
    return { uid: resolved.uid, gid: group === undefined && /^\d+$/.test(user) ? resolved.uid : resolved.gid };
  } catch (err) {
    throw new BuildStepError(`unable to convert uid/gid chown string to host mapping: ${(err as Error).message}`);
  }
}

async function isDirectoryIn(tree: ScopedTree, path: string): Promise<boolean> {
  try {
    const located = await tree.locate(path, { followFinal: true });
    try {
      return (await tree.lstat(located)).isDirectory();
    } finally {
      await tree.release(located);
    }
  } catch {
    return false;
  }
}

/**
 * Unpacks the request body into `dir`: a tar stream (the usual context, maybe gzipped), or,
 * when it is not one, the Dockerfile itself (`docker build - < Dockerfile`). Returns the
 * Dockerfile's name. A small context is unpacked in-process; a big one by GNU tar, which
 * writes many files faster.
 */
async function receiveContext(body: AsyncIterable<Buffer>, dir: string, dockerfile: string): Promise<string> {
  const chunks = body[Symbol.asyncIterator]();
  const buffered: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size <= smallContextBytes) {
    const next = await chunks.next();
    if (next.done) {
      ended = true;
      break;
    }
    buffered.push(next.value);
    size += next.value.length;
  }
  const remaining = async function* (endTar: boolean): AsyncGenerator<Buffer> {
    let total = 0;
    for (const chunk of buffered) total += chunk.length;
    yield* buffered;
    if (!ended) {
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
        total += next.value.length;
        yield next.value;
      }
    }
    // The docker CLI ends a context whose Dockerfile it added (-f outside the context) without
    // the last entry's padding and the end blocks; Go's reader takes that as the end, so do.
    if (endTar) yield Buffer.alloc(((512 - (total % 512)) % 512) + 1024);
  };
  const head = Buffer.concat(buffered).subarray(0, 512);
  if (head.length === 0) return dockerfile;
  // dockerd takes gzip (and plain tar) contexts; anything else is the Dockerfile itself.
  const kind = archiveKind(head);
  const isCompressed = kind.compression === "gzip";
  const isTar = kind.compression === "none" && kind.tar;
  if (!isTar && !isCompressed) {
    const text: Buffer[] = [];
    for await (const chunk of remaining(false)) text.push(chunk);
    await writeFile(join(dir, "Dockerfile"), Buffer.concat(text));
    return "Dockerfile";
  }
  const failed = (err: unknown) => new MoorError("invalid", `error reading the build context: ${(err as Error).message}`, { cause: err });
  if (!ended) {
    await runWithInput("tar", ["-x", "-f", "-", "-C", dir, "--no-same-owner", ...(isCompressed ? ["-z"] : [])], remaining(!isCompressed)).catch((err: unknown) => {
      throw failed(err);
    });
    return dockerfile;
  }
  const tree = await ScopedTree.open(dir);
  try {
    await unpackTar(tree, "/", isCompressed ? (async function* () {
      yield gunzipSync(Buffer.concat(buffered));
    })() : remaining(true), {
      noOverwriteDirNonDir: false,
      owner: { uid: 0, gid: 0 },
      makeNode,
    });
  } catch (err) {
    throw failed(err);
  } finally {
    await tree.close();
  }
  return dockerfile;
}

/**
 * dockerd's removeDockerfile: the client always sends the Dockerfile and .dockerignore, and
 * they leave the context when .dockerignore names them, so COPY . cannot pick them up.
 */
async function removeIgnoredBuildFiles(contextDir: string, dockerfile: string): Promise<void> {
  const ignore = await readFile(join(contextDir, ".dockerignore")).catch(() => undefined);
  if (ignore === undefined) return;
  const excludes = readIgnoreFile(ignore);
  const root = await realpath(contextDir);
  for (const file of [".dockerignore", posix.normalize(dockerfile)]) {
    if (!matchesOrParentMatches(file, excludes)) continue;
    // Only inside the context: the name's directories may be symlinks the context brought.
    const parent = await realpath(join(contextDir, posix.dirname(file))).catch(() => undefined);
    if (parent !== undefined && (parent === root || parent.startsWith(`${root}/`))) await rm(join(parent, posix.basename(file)), { force: true });
  }
}

/** The Dockerfile's text; dockerd also looks for `dockerfile` when the default name is missing. */
async function readDockerfile(contextDir: string, name: string): Promise<string> {
  const cleaned = posix.normalize(`/${name}`);
  const candidates = name === "Dockerfile" ? [cleaned, "/dockerfile"] : [cleaned];
  const tree = await ScopedTree.open(contextDir, { readOnly: true });
  try {
    for (const candidate of candidates) {
      try {
        const located = await tree.locate(candidate, { followFinal: true });
        await tree.release(located);
        return await readFile(join(contextDir, located.path), "utf8");
      } catch {
        continue;
      }
    }
  } finally {
    await tree.close();
  }
  throw new MoorError("invalid", `Cannot locate specified Dockerfile: ${name}`);
}

