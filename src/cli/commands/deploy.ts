/**
 * Immutable deploys of a Compose app: `moor up`, `moor down`, `moor rollback`, `moor history`
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
import { CommandError, type CommandContext, type CommandSpec, type FlagSpec, type FlagValues } from "../command.ts";
import { Interruption } from "../interrupt.ts";
import { withClient } from "../program.ts";
import { confirm } from "../prompt.ts";
import { tabwrite } from "../tabwriter.ts";

const projectFlags: FlagSpec[] = [
  { long: "file", short: "f", type: "list", usage: "Compose configuration files (default: compose.yaml, found from the current directory upwards)" },
  { long: "project-name", short: "p", type: "string", usage: "Project name (default: the file's name: key, else its directory's name)" },
  { long: "project-directory", type: "string", usage: "Alternate working directory (default: the path of the first Compose file)" },
  { long: "profile", type: "list", usage: "Specify a profile to enable" },
  { long: "env-file", type: "list", usage: "Specify an alternate environment file" },
];
const jsonFlag: FlagSpec = { long: "json", type: "bool", usage: "Print the result as JSON, for scripts" };

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
async function failuresAsCommandErrors<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DeployError) throw new CommandError(err.rolledBack === undefined ? err.message : `${what} failed: ${err.message}`);
    throw err;
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

const up: CommandSpec = {
  path: ["up"],
  usage: "[OPTIONS] [SERVICE...]",
  description: `Deploy the app file as a new revision

moor up reads the app file (compose.yaml), compares it with what runs (found by
compose's labels), prints the plan and carries it out. A changed service gets a
new container (containers are never edited); its named volumes, bind mounts and
anonymous volumes carry over, so its data does. Each new container must pass a
health gate: its healthcheck turns healthy, or without one it stays up for a
settle time. If a gate fails, every change is undone and the previous revision
runs again; the command then exits 1 saying why. Nothing is ever removed as a
side effect: earlier revisions' containers are kept for moor rollback, and no
volume is deleted.

Per-service settings go under x-moor in the app file:
  x-moor:
    order: start-first     # start the new container before stopping the old
                           # (refused for services with writable volumes)
    snapshot: true         # copy its named volumes before replacing it; a
                           # rollback then restores them
    settle: 5s             # without a healthcheck, how long it must stay up
    health_timeout: 2m     # with one, how long to wait for "healthy"

moor up always returns once the deploy is done (as compose's -d); follow the
output with moor logs.`,
  examples: `moor up                       # deploy compose.yaml from here or a parent directory
moor up --dry-run             # print the plan only
moor up -f compose.yaml -f compose.prod.yaml -p shop
moor up --snapshot            # snapshot named volumes of replaced services first
moor up --json                # the plan and result as JSON`,
  flags: [
    ...projectFlags,
    { long: "detach", short: "d", type: "bool", usage: "Detached mode: moor up always returns once deployed; accepted for compose's habit" },
    { long: "dry-run", type: "bool", usage: "Print the plan, change nothing" },
    { long: "build", type: "bool", usage: "Build images before deploying, even those that exist" },
    { long: "renew-anon-volumes", short: "V", type: "bool", usage: "Give replaced containers new anonymous volumes instead of their predecessors'" },
    { long: "snapshot", type: "bool", usage: "Copy the named volumes of replaced services first, so a rollback restores their data" },
    { long: "ignore-unsupported", type: "bool", usage: "Deploy even if the app file uses keys moor does not support (they are ignored)" },
    jsonFlag,
  ],
  async run(ctx, args, flags) {
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
        });
        if (json) ctx.stdout.write(`${JSON.stringify({ ...result, ok: true, dryRun: options.dryRun }, null, 2)}\n`);
        else if (options.dryRun) ctx.stdout.write("Dry run: nothing was changed.\n");
        else ctx.stdout.write(summary(result));
        return 0;
      });
    } finally {
      interruption.release();
    }
  },
};

const rollback: CommandSpec = {
  path: ["rollback"],
  usage: "[OPTIONS]",
  description: `Return to an earlier revision

The earlier revision's containers (kept, stopped, since they were replaced) are
started again, behind the same health gate as moor up; the result is recorded as
a new revision. Volumes are not touched: data written since stays. The last 5
revisions are kept; see them with moor history.`,
  examples: `moor rollback           # to the revision before the current one
moor rollback --to 3    # to revision 3`,
  args: { max: 0 },
  flags: [...projectFlags, { long: "to", type: "string", valueName: "int", usage: "The revision to return to (default: the one before the current)" }, jsonFlag],
  async run(ctx, _args, flags) {
    const to = flags.to === undefined ? undefined : Number(flags.to);
    if (to !== undefined && !(Number.isInteger(to) && to > 0)) throw new CommandError(`invalid argument "${flags.to}" for "--to" flag: a revision number (see moor history)`);
    const name = projectName(ctx, flags);
    const interruption = new Interruption();
    try {
      return await withClient(ctx, async (client) => {
        const deployer = new Deployer({ client, build: noBuild, progress: progressPrinter(ctx), signal: interruption.signal });
        const result = await failuresAsCommandErrors(`rollback of ${name}`, () => deployer.rollback(name, to));
        if (flags.json) ctx.stdout.write(`${JSON.stringify({ project: name, ok: true, ...result }, null, 2)}\n`);
        else ctx.stdout.write(`Revision ${result.revision} of ${name} is live: the containers of revision ${result.target}.\n`);
        return 0;
      });
    } finally {
      interruption.release();
    }
  },
};

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

const history: CommandSpec = {
  path: ["history"],
  usage: "[OPTIONS]",
  description: `List the kept revisions of a deployed app

Each moor up that changed something, and each moor rollback, made a revision.
The current one is marked with *; moor rollback --to N returns to one.`,
  args: { max: 0 },
  flags: [...projectFlags, jsonFlag],
  async run(ctx, _args, flags) {
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
  },
};

const status: CommandSpec = {
  path: ["status"],
  usage: "[OPTIONS]",
  description: `Show whether what runs matches the current revision

For each service: its container, its state, and any drift from what moor up
deployed: a container stopped, renamed or removed by hand, edited with docker
update, or whose writable layer changed since the deploy (containers are meant
to be immutable: data belongs in volumes). Exits 1 when anything drifted.`,
  args: { max: 0 },
  flags: [...projectFlags, jsonFlag],
  async run(ctx, _args, flags) {
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
  },
};

const down: CommandSpec = {
  path: ["down"],
  usage: "[OPTIONS]",
  description: `Stop and remove an app's containers, keeping its volumes

Every container of the project goes: the live ones, earlier revisions' (so
history and rollback start over) and any left by an interrupted deploy. Volumes
stay, so moor up brings the same data back. With --volumes, the project's
volumes (named, anonymous and snapshots) are listed with their sizes and removed
after you confirm (--yes for scripts).`,
  args: { max: 0 },
  flags: [
    ...projectFlags,
    { long: "volumes", short: "v", type: "bool", usage: "Remove the project's volumes too, after confirmation" },
    { long: "yes", short: "y", type: "bool", usage: "Do not ask for confirmation" },
    jsonFlag,
  ],
  async run(ctx, _args, flags) {
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
      if (flags.json) ctx.stdout.write(`${JSON.stringify({ project: name, containers: plan.containers.map((c) => c.name), volumes }, null, 2)}\n`);
      else ctx.stdout.write(`${name}: ${plan.containers.length} container(s) removed; ${volumes.length === 0 ? "volumes kept" : `${volumes.length} volume(s) removed`}.\n`);
      return 0;
    });
  },
};

export const deployCommands: CommandSpec[] = [up, down, rollback, history, status];
