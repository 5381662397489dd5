/**
 * What the deploy commands do (loaded only when one runs: the app-file loader and its
 * compose-spec validator are most of the CLI's code). Immutable deploys of a Compose app: `moor up`, `moor down`, `moor rollback`, `moor history`
 * and `moor status`. The work is done by deploy/ through the Engine API; these commands read
 * the app file, print progress on stderr and the plan, summary or JSON on stdout.
 */
import { isAbsolute, resolve } from "node:path";
import type { EngineClient } from "../../client/client.ts";
import { MoorError } from "../../errors.ts";
import { loadProject, normalizeProjectName } from "../../deploy/compose/load.ts";
import type { Project, Service } from "../../deploy/compose/model.ts";
import { DeployError } from "../../deploy/deploy-error.ts";
import { Deployer, type DeployEvent, type DeployResult } from "../../deploy/deployer.ts";
import { planText } from "../../deploy/plan.ts";
import type { Manifest } from "../../deploy/revisions.ts";
import { humanSize } from "../../util/units.ts";
import { prepareBuildContext } from "../build-context.ts";
import { CommandError, type CommandContext, type FlagValues } from "../command.ts";
import { Interruption } from "../interrupt.ts";
import { withClient } from "../program.ts";
import { confirm } from "../prompt.ts";
import { tabwrite } from "../tabwriter.ts";

/** The app file, or the reason it cannot be deployed (file, path, what is wrong). */
function load(ctx: CommandContext, flags: FlagValues, services: string[] = []): Project {
  try {
    return readProject(ctx, flags, services);
  } catch (err) {
    if (err instanceof MoorError) throw new CommandError(err.message);
    throw err;
  }
}

function readProject(ctx: CommandContext, flags: FlagValues, services: string[]): Project {
  return loadProject({
    files: (flags.file as string[] | undefined) ?? [],
    workingDir: process.cwd(),
    projectDirectory: flags["project-directory"] as string | undefined,
    projectName: flags["project-name"] as string | undefined,
    profiles: (flags.profile as string[] | undefined) ?? [],
    services,
    env: ctx.env as Record<string, string>,
    envFiles: flags["env-file"] as string[] | undefined,
  });
}

/** The project a command acts on: `-p` alone is enough (no app file needed), else the app file's. */
function projectName(ctx: CommandContext, flags: FlagValues): string {
  const given = flags["project-name"] as string | undefined;
  if (given !== undefined && (flags.file as string[] | undefined) === undefined) {
    const name = normalizeProjectName(given);
    if (name === "") throw new CommandError(`invalid project name ${JSON.stringify(given)}`);
    return name;
  }
  return load(ctx, flags).name;
}

/** Deploy failures are the command's own, not the engine's: printed as they are, exit 1. */
async function failuresAsCommandErrors<T>(what: string, work: () => Promise<T>, interruption?: Interruption): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof DeployError)) throw err;
    // Ctrl-C undoes the deploy, then exits as the shell expects of an interrupted command.
    const exitCode = interruption?.receivedSignal === undefined ? 1 : interruption.exitCode();
    throw new CommandError(err.rolledBack === undefined ? err.message : `${what} failed: ${err.message}`, exitCode);
  }
}

function progressPrinter(ctx: CommandContext): (event: DeployEvent) => void {
  return (event) => ctx.stderr.write(` ${event.subject}: ${event.message}\n`);
}

/** A service's build, sent as `moor build` sends one; its output goes to stderr. */
function builder(ctx: CommandContext, client: EngineClient, signal: AbortSignal): (service: Service, tag: string) => Promise<void> {
  return async (service, tag) => {
    const build = service.build!;
    if (/^[a-z]+:\/\//.test(build.context) || build.context.startsWith("git@")) throw new CommandError(`service "${service.name}": remote build contexts are not supported: ${build.context}`);
    const context = await prepareBuildContext({ context: build.context, dockerfile: isAbsolute(build.dockerfile) ? build.dockerfile : resolve(build.context, build.dockerfile), cwd: build.context });
    const messages = client.imageBuild(
      context.body,
      { tags: [tag], dockerfile: context.dockerfile, buildArgs: build.args, target: build.target ?? "", noCache: false, labels: build.labels, quiet: false, pull: false, remove: true, forceRemove: false },
      signal,
    );
    for await (const message of messages) {
      if (message.errorDetail !== undefined || message.error !== undefined) {
        throw new DeployError(`service "${service.name}": building ${tag} failed: ${message.errorDetail?.message ?? message.error}`);
      }
      if (message.stream !== undefined) ctx.stderr.write(message.stream);
    }
  };
}

function summary(result: DeployResult): string {
  if (!result.changed) {
    return result.revision === undefined ? `${result.project}: nothing deployed.\n` : `${result.project} is up to date at revision ${result.revision}: nothing to do.\n`;
  }
  const count = (kind: string) => result.services.filter((action) => action.kind === kind).length;
  return `Revision ${result.revision} of ${result.project} is live: ${count("create")} created, ${count("replace")} replaced, ${count("keep")} kept, ${count("remove")} retired.\n`;
}

const noBuild = async (): Promise<void> => {
  throw new DeployError("nothing is built here");
};

function changesText(manifest: Manifest): string {
  const changed = Object.entries(manifest.services)
    .filter(([, entry]) => entry.change !== "unchanged")
    .map(([service, entry]) => `${service}: ${entry.change}`);
  const removed = (manifest.removed ?? []).map((service) => `${service}: retired`);
  return [...changed, ...removed].join("; ") || "-";
}

export async function runUp(ctx: CommandContext, args: string[], flags: FlagValues): Promise<number> {
  const json = Boolean(flags.json);
  const project = load(ctx, flags, args);
  for (const warning of project.warnings) ctx.stderr.write(`WARN ${warning}\n`);
  if (project.unsupported.length > 0) {
    const list = project.unsupported.map((entry) => `  ${entry.path}: ${entry.message}`).join("\n");
    if (!flags["ignore-unsupported"]) {
      throw new CommandError(`the app file uses keys moor does not support:\n${list}\nRemove them, or deploy without them with --ignore-unsupported.`);
    }
    ctx.stderr.write(`WARN ignoring keys moor does not support:\n${list}\n`);
  }
  const interruption = new Interruption();
  try {
    return await withClient(ctx, async (client) => {
      const deployer = new Deployer({ client, build: builder(ctx, client, interruption.signal), progress: progressPrinter(ctx), signal: interruption.signal });
      const options = { dryRun: Boolean(flags["dry-run"]), build: Boolean(flags.build), renewAnonVolumes: Boolean(flags["renew-anon-volumes"]), snapshot: Boolean(flags.snapshot) };
      const result = await failuresAsCommandErrors(`deploy of ${project.name}`, async () => {
        try {
          return await deployer.up(project, options, (plan, leftovers) => {
            if (json) return;
            ctx.stdout.write(`Plan for ${plan.project} (${project.composeFiles.join(", ")}):\n${planText(plan.services, plan.volumes)}`);
            if (leftovers > 0) ctx.stdout.write(`  (an interrupted deploy left ${leftovers} container(s): they are removed first)\n`);
          });
        } catch (err) {
          if (json && err instanceof DeployError) ctx.stdout.write(`${JSON.stringify({ project: project.name, ok: false, rolledBack: err.rolledBack ?? null, error: err.message }, null, 2)}\n`);
          throw err;
        }
      }, interruption);
      if (json) ctx.stdout.write(`${JSON.stringify({ ...result, ok: true, dryRun: options.dryRun }, null, 2)}\n`);
      else if (options.dryRun) ctx.stdout.write("Dry run: nothing was changed.\n");
      else ctx.stdout.write(summary(result));
      return 0;
    });
  } finally {
    interruption.release();
  }
}

export async function runRollback(ctx: CommandContext, _args: string[], flags: FlagValues): Promise<number> {
  const to = flags.to === undefined ? undefined : Number(flags.to);
  if (to !== undefined && !(Number.isInteger(to) && to > 0)) throw new CommandError(`invalid argument "${flags.to}" for "--to" flag: a revision number (see moor history)`);
  const name = projectName(ctx, flags);
  const interruption = new Interruption();
  try {
    return await withClient(ctx, async (client) => {
      const deployer = new Deployer({ client, build: noBuild, progress: progressPrinter(ctx), signal: interruption.signal });
      const result = await failuresAsCommandErrors(`rollback of ${name}`, () => deployer.rollback(name, to), interruption);
      if (flags.json) ctx.stdout.write(`${JSON.stringify({ project: name, ok: true, ...result }, null, 2)}\n`);
      else ctx.stdout.write(`Revision ${result.revision} of ${name} is live: the containers of revision ${result.target}.\n`);
      return 0;
    });
  } finally {
    interruption.release();
  }
}

export async function runHistory(ctx: CommandContext, _args: string[], flags: FlagValues): Promise<number> {
  const name = projectName(ctx, flags);
  const manifests = await withClient(ctx, (client) => new Deployer({ client, build: noBuild, progress: () => undefined }).history(name));
  if (flags.json) {
    ctx.stdout.write(`${JSON.stringify(manifests, null, 2)}\n`);
    return 0;
  }
  if (manifests.length === 0) {
    ctx.stdout.write(`${name} has no revisions: deploy it with moor up.\n`);
    return 0;
  }
  const current = manifests.at(-1)!.revision;
  const rows = [...manifests].reverse().map((manifest) => `${manifest.revision === current ? "*" : " "}${manifest.revision}\t${manifest.created.replace("T", " ").replace(/\.\d+Z$/, "Z")}\t${manifest.cause}\t${changesText(manifest)}`);
  ctx.stdout.write(tabwrite(`REVISION\tCREATED\tCAUSE\tCHANGES\n${rows.join("\n")}\n`, { minWidth: 0 }));
  return 0;
}

export async function runStatus(ctx: CommandContext, _args: string[], flags: FlagValues): Promise<number> {
  const name = projectName(ctx, flags);
  const report = await withClient(ctx, (client) => new Deployer({ client, build: noBuild, progress: () => undefined }).status(name));
  const drifted = report.services.some((service) => service.drift.length > 0) || report.notes.length > 0;
  if (flags.json) {
    ctx.stdout.write(`${JSON.stringify({ ...report, drifted }, null, 2)}\n`);
    return drifted ? 1 : 0;
  }
  if (report.revision === undefined) {
    ctx.stdout.write(`${name} has no revisions: deploy it with moor up.\n`);
    for (const note of report.notes) ctx.stdout.write(`  ${note}\n`);
    return report.notes.length > 0 ? 1 : 0;
  }
  ctx.stdout.write(`${name} at revision ${report.revision}:\n`);
  const rows = report.services.map((service) => `${service.service}\t${service.container || "-"}\t${service.state}\t${service.drift.length === 0 ? "matches" : service.drift.join("; ")}`);
  ctx.stdout.write(tabwrite(`SERVICE\tCONTAINER\tSTATE\tDRIFT\n${rows.join("\n")}\n`, { minWidth: 0 }));
  for (const note of report.notes) ctx.stdout.write(`note: ${note}\n`);
  return drifted ? 1 : 0;
}

export async function runDown(ctx: CommandContext, _args: string[], flags: FlagValues): Promise<number> {
  const name = projectName(ctx, flags);
  return withClient(ctx, async (client) => {
    const deployer = new Deployer({ client, build: noBuild, progress: flags.json ? () => undefined : progressPrinter(ctx) });
    const plan = await deployer.downPlan(name);
    let volumes: string[] = [];
    if (flags.volumes && plan.volumes.length > 0) {
      const rows = plan.volumes.map((volume) => `${volume.name}\t${volume.kind}\t${volume.size === undefined ? "N/A" : humanSize(volume.size)}`);
      ctx.stdout.write(`These volumes of ${name} and all their data will be removed:\n${tabwrite(`VOLUME\tKIND\tSIZE\n${rows.join("\n")}\n`, { minWidth: 0 })}`);
      if (!flags.yes) {
        if (!(await confirm(ctx, "Are you sure you want to remove them?"))) {
          ctx.stdout.write("Nothing was removed.\n");
          return 1;
        }
      }
      volumes = plan.volumes.map((volume) => volume.name);
    }
    await deployer.down(plan, volumes);
    if (flags.json) ctx.stdout.write(`${JSON.stringify({ project: name, containers: plan.containers.map((c) => c.name), volumes, unscheduled: plan.schedules }, null, 2)}\n`);
    else {
      const unscheduled = plan.schedules.length === 0 ? "" : `; scheduled backups of ${plan.schedules.join(", ")} stopped (their archives stay)`;
      ctx.stdout.write(`${name}: ${plan.containers.length} container(s) removed; ${volumes.length === 0 ? "volumes kept" : `${volumes.length} volume(s) removed`}${unscheduled}.\n`);
    }
    return 0;
  });
}
