/**
 * Immutable deploys of a Compose app: `moor up`, `moor down`, `moor rollback`, `moor history`
 * and `moor status`. What they do is in deploy-actions.ts, loaded when one of them runs.
 */
import type { CommandSpec, FlagSpec } from "../command.ts";

const projectFlags: FlagSpec[] = [
  { long: "file", short: "f", type: "list", usage: "Compose configuration files (default: compose.yaml, found from the current directory upwards)" },
  { long: "project-name", short: "p", type: "string", usage: "Project name (default: the file's name: key, else its directory's name)" },
  { long: "project-directory", type: "string", usage: "Alternate working directory (default: the path of the first Compose file)" },
  { long: "profile", type: "list", usage: "Specify a profile to enable" },
  { long: "env-file", type: "list", usage: "Specify an alternate environment file" },
];
const jsonFlag: FlagSpec = { long: "json", type: "bool", usage: "Print the result as JSON, for scripts" };

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
  run: (ctx, args, flags) => import("./deploy-actions.ts").then((actions) => actions.runUp(ctx, args, flags)),
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
  run: (ctx, args, flags) => import("./deploy-actions.ts").then((actions) => actions.runRollback(ctx, args, flags)),
};

const history: CommandSpec = {
  path: ["history"],
  usage: "[OPTIONS]",
  description: `List the kept revisions of a deployed app

Each moor up that changed something, and each moor rollback, made a revision.
The current one is marked with *; moor rollback --to N returns to one.`,
  args: { max: 0 },
  flags: [...projectFlags, jsonFlag],
  run: (ctx, args, flags) => import("./deploy-actions.ts").then((actions) => actions.runHistory(ctx, args, flags)),
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
  run: (ctx, args, flags) => import("./deploy-actions.ts").then((actions) => actions.runStatus(ctx, args, flags)),
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
  run: (ctx, args, flags) => import("./deploy-actions.ts").then((actions) => actions.runDown(ctx, args, flags)),
};

export const deployCommands: CommandSpec[] = [up, down, rollback, history, status];
