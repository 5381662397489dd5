/**
 * The OCI runtime spec (runc's config.json) for a container, built the way dockerd builds it by
 * default, so a container under moor sees what it would see under Docker: the same capabilities,
 * mounts, namespaces, masked paths, device rules and seccomp filter.
 *
 * A pure function of its input: the caller resolves the user, the environment, the mounts and the
 * host facts (architecture, kernel, the engine's own capabilities) and writes the result to disk.
 * Sources, unless a comment says otherwise (moby/moby at b985e23, 2026):
 *   daemon/oci_linux.go       createSpec and the With* options it applies, in that order
 *   daemon/pkg/oci/defaults.go DefaultLinuxSpec: default mounts, masked/readonly paths, device rules
 *   daemon/pkg/oci/caps/      default capabilities, CapAdd/CapDrop/ALL rules and error texts
 *   github.com/moby/profiles/seccomp v0.2.3 (vendored): the default profile and its conversion
 */
import { MoorError } from "../../errors.ts";
import profileFile from "./seccomp-default.json" with { type: "json" };

// ---------------------------------------------------------------------------------------------
// The parts of the OCI runtime spec that moor writes (opencontainers/runtime-spec specs-go).
// Optional fields are the ones Go leaves out of the JSON when empty (omitempty).

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly?: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: OciLinux;
}

export interface OciProcess {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: { uid: number; gid: number; additionalGids: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities: OciCapabilities;
  rlimits?: OciRlimit[];
  noNewPrivileges?: boolean;
  oomScoreAdj: number;
}

/** moby sets these three only: inheritable and ambient stay empty (CVE-2022-24769). */
export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
}

export interface OciRlimit {
  type: string;
  hard: number;
  soft: number;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export type OciNamespaceType = "pid" | "network" | "mount" | "ipc" | "uts" | "user" | "cgroup";

export interface OciLinux {
  sysctl?: Record<string, string>;
  resources: OciResources;
  cgroupsPath: string;
  namespaces: Array<{ type: OciNamespaceType; path?: string }>;
  seccomp?: OciSeccomp;
  rootfsPropagation?: string;
  maskedPaths?: string[];
  readonlyPaths?: string[];
}

export interface OciDeviceRule {
  allow: boolean;
  type?: "a" | "b" | "c";
  major?: number;
  minor?: number;
  access: string;
}

export interface OciResources {
  devices: OciDeviceRule[];
  memory?: { limit?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number };
  pids?: { limit: number };
  /** Always present and empty, as dockerd writes it (WithResources sets a non-nil BlockIO). */
  blockIO: Record<string, never>;
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: OciSyscall[];
}

export interface OciSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

export interface OciSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

// ---------------------------------------------------------------------------------------------
// Input

/** A user mount, already resolved (volume paths found, options final, as the OCI mount wants them). */
export interface SpecMount {
  destination: string;
  type: "bind" | "tmpfs";
  source: string;
  options: string[];
}

/**
 * Facts about the host that dockerd reads itself and a pure function must be told. Each has a
 * default that fits the hosts moor runs on; the engine gathers them once at start.
 */
export interface HostFacts {
  /** process.arch ("x64", "arm64") or Go's name ("amd64"); default process.arch. */
  arch?: string;
  /** os.release(), for the profile's minKernel rules; default: every minKernel rule holds
   *  (the one in the profile asks for 4.8, and Node 20 itself needs Linux 4.18). */
  kernelRelease?: string;
  /** The engine's own bounding set (CapBnd of /proc/self/status), which privileged and ALL grant
   *  and beyond which CapAdd is refused (caps.GetAllCapabilities); default every known capability. */
  capabilities?: string[];
  /** The /sys/devices/system/cpu/cpuN/thermal_throttle paths that exist on the host; dockerd masks
   *  them too (GHSA-6fw5-f8r9-fgfm) but finds them with os.Stat. Default none. */
  thermalThrottlePaths?: string[];
}

export interface SpecInput {
  /** Container id. */
  id: string;
  /** Absolute path of the prepared root filesystem (the overlay mount point). */
  rootfs: string;
  readonlyRootfs: boolean;
  hostname: string;
  /** Entrypoint + cmd, already resolved. */
  args: string[];
  /** Config.Env (image env merged with the container's); PATH, HOSTNAME and TERM are added here
   *  as dockerd's CreateDaemonEnvironment does, and entries in env win. */
  env: string[];
  /** Working directory; "/" when empty. */
  cwd: string;
  /** Resolved from the image's /etc/passwd and /etc/group by the caller; additionalGids are the
   *  supplementary groups (plus GroupAdd). The primary gid is put first, as moby does. */
  user: { uid: number; gid: number; additionalGids: number[] };
  tty: boolean;
  /** Not part of the spec: stdin is the supervisor's business. Accepted so callers can pass a config through. */
  openStdin: boolean;
  /** As docker accepts them: "NET_ADMIN", "cap_net_admin", "ALL". */
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  noNewPrivileges: boolean;
  seccompUnconfined: boolean;
  /** "none": an own network namespace with loopback only; "host": the host's. */
  network: "host" | "none";
  memoryBytes?: number;
  /** HostConfig.MemorySwap (memory + swap; -1 unlimited). dockerd stores 2×memory at create when
   *  it is 0 (daemon_unix.go adaptContainerSettings); that is the create path's job. */
  memorySwapBytes?: number;
  nanoCpus?: number;
  cpuShares?: number;
  /** 0 or negative: unlimited (-1 in the spec), as dockerd. */
  pidsLimit?: number;
  mounts: SpecMount[];
  /** Host paths of the generated files to bind-mount; an empty path is skipped. */
  etcFiles: { hosts: string; hostname: string; resolvConf: string };
  /** Bytes; dockerd's default is 64 MiB. */
  shmSize: number;

  // Optional HostConfig fields; absent means dockerd's default.
  oomScoreAdj?: number;
  /** --ulimit, with names as docker takes them ("nofile"). dockerd sets no rlimits by default. */
  ulimits?: Array<{ name: string; soft: number; hard: number }>;
  /** --sysctl; wins over the defaults below. */
  sysctls?: Record<string, string>;
  domainname?: string;
  /** [height, width] of a tty's console, as HostConfig.ConsoleSize. */
  consoleSize?: [number, number];
  /** HostConfig.CgroupnsMode, fixed at create: dockerd's default is private on cgroup v2 and host on v1. */
  cgroupnsMode?: "private" | "host";
  /** Default `/moor/<id>` (dockerd's cgroupfs layout is `/docker/<id>`). */
  cgroupsPath?: string;
  host?: HostFacts;
}

// ---------------------------------------------------------------------------------------------
// Defaults

/** runtime-spec 1.0.2-dev: what dockerd 20.10 writes and what Debian's runc 1.1.5 implements;
 *  moor uses no field of a later version. */
export const OCI_VERSION = "1.0.2-dev";

/** oci.DefaultPathEnv("linux") */
export const DEFAULT_PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** dockerd's default shm size (daemon/config/config.go DefaultShmSize). */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** caps.DefaultCapabilities(), in moby's order. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/** Every capability up to Linux 5.9, in kernel order (containerd pkg/cap Known(), which moby uses). */
export const KNOWN_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
];

/** DefaultLinuxSpec's mounts, in its order. */
function defaultMounts(): OciMount[] {
  return [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["ro", "nosuid", "noexec", "nodev"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777"] },
  ];
}

/** defaultLinuxMaskedPaths, before the host's thermal_throttle paths. */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/interrupts", // GHSA-6fw5-f8r9-fgfm
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/sys/devices/virtual/powercap", // GHSA-jq35-85cj-fj4p
  "/sys/firmware",
];

export const DEFAULT_READONLY_PATHS: readonly string[] = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** Deny everything, then allow null, zero, full, random, urandom, tty, console (5:1); deny
 *  /dev/net/tun (10:229) explicitly. runc adds its own defaults on top. */
function defaultDeviceRules(): OciDeviceRule[] {
  const allow = (major: number, minor: number): OciDeviceRule => ({ allow: true, type: "c", major, minor, access: "rwm" });
  return [
    { allow: false, access: "rwm" },
    allow(1, 5),
    allow(1, 3),
    allow(1, 9),
    allow(1, 8),
    allow(5, 0),
    allow(5, 1),
    { allow: false, type: "c", major: 10, minor: 229, access: "rwm" },
  ];
}

// ---------------------------------------------------------------------------------------------
// Capabilities (daemon/pkg/oci/caps/utils.go)

/**
 * NormalizeLegacyCapabilities: upper-case, add the CAP_ prefix, keep "ALL", refuse unknown
 * capabilities and ones the engine itself lacks, with dockerd's texts. dockerd checks CapAdd and
 * CapDrop at create too, wrapping the error as `invalid CapAdd: ...` (daemon/container.go).
 */
export function normalizeCapabilities(caps: readonly string[], host: HostFacts = {}): string[] {
  const available = host.capabilities;
  return caps.map((raw) => {
    let c = raw.toUpperCase();
    if (c === "ALL") return c;
    if (!c.startsWith("CAP_")) c = "CAP_" + c;
    if (!KNOWN_CAPABILITIES.includes(c)) throw new MoorError("invalid", `unknown capability: ${goQuote(c)}`);
    if (available && !available.includes(c)) {
      throw new MoorError("invalid", `capability not supported by your kernel or not available in the current environment: ${goQuote(c)}`);
    }
    return c;
  });
}

/**
 * TweakCapabilities: privileged gets everything the engine has; ALL in CapAdd adds everything
 * but CapDrop; ALL in CapDrop keeps only CapAdd; otherwise the defaults minus CapDrop, then
 * CapAdd appended. Like moby, a CapAdd already in the defaults is listed twice (runc does not mind).
 */
export function effectiveCapabilities(input: Pick<SpecInput, "capAdd" | "capDrop" | "privileged" | "host">): string[] {
  const all = input.host?.capabilities ?? KNOWN_CAPABILITIES;
  if (input.privileged) return [...all];
  if (input.capAdd.length === 0 && input.capDrop.length === 0) return [...DEFAULT_CAPABILITIES];
  const drop = normalizeCapabilities(input.capDrop, input.host);
  const add = normalizeCapabilities(input.capAdd, input.host);
  if (add.includes("ALL")) return all.filter((c) => !drop.includes(c));
  if (drop.includes("ALL")) return add;
  return [...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add];
}

/** Go's %q for the strings that can reach it here (JSON's quoting agrees for printable text). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

// ---------------------------------------------------------------------------------------------
// Seccomp (github.com/moby/profiles/seccomp seccomp_linux.go setupSeccomp)

interface ProfileFilter {
  caps?: string[];
  minKernel?: string;
}

interface ProfileRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciSeccompArg[];
  /** The one architecture (of amd64, arm64) the rule is for; absent: both. */
  arches?: string[];
  includes?: ProfileFilter;
  excludes?: ProfileFilter;
  comment?: string;
}

interface ProfileFile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: Record<string, string[]>;
  syscalls: ProfileRule[];
}

const profile: ProfileFile = profileFile;

/** Go's arch name for Node's (moby keys the profile by GOARCH, mapped to libseccomp's names). */
function profileArch(arch: string): string {
  return arch === "x64" ? "amd64" : arch;
}

/** Host kernel at least `min` ("4.8"), comparing version and major revision only, as moby does. */
function kernelAtLeast(release: string | undefined, min: string): boolean {
  if (release === undefined) return true;
  const have = /^(\d+)\.(\d+)/.exec(release);
  if (!have) throw new MoorError("internal", `failed to parse kernel version ${goQuote(release)}`);
  const [kernel, major] = min.split(".").map(Number);
  const hk = Number(have[1]);
  return hk > kernel || (hk === kernel && Number(have[2]) >= major);
}

/**
 * Docker's default profile for a container whose bounding set is `bounding`: rules for other
 * architectures dropped, a rule with `includes` kept only if every listed capability is in the
 * bounding set (and the kernel is new enough), one with `excludes` dropped if any is.
 */
export function defaultSeccompProfile(bounding: readonly string[], host: HostFacts = {}): OciSeccomp {
  const arch = profileArch(host.arch ?? process.arch);
  const syscalls: OciSyscall[] = [];
  for (const rule of profile.syscalls) {
    if (rule.arches && !rule.arches.includes(arch)) continue;
    const { excludes, includes } = rule;
    if (excludes) {
      if (excludes.caps?.some((c) => bounding.includes(c))) continue;
      if (excludes.minKernel && kernelAtLeast(host.kernelRelease, excludes.minKernel)) continue;
    }
    if (includes) {
      if (includes.caps && !includes.caps.every((c) => bounding.includes(c))) continue;
      if (includes.minKernel && !kernelAtLeast(host.kernelRelease, includes.minKernel)) continue;
    }
    const call: OciSyscall = { names: [...rule.names], action: rule.action };
    if (rule.errnoRet !== undefined) call.errnoRet = rule.errnoRet;
    if (rule.args) call.args = rule.args.map((a) => ({ ...a }));
    syscalls.push(call);
  }
  const seccomp: OciSeccomp = {
    defaultAction: profile.defaultAction,
    // An architecture moby's profile has no entry for gets none: runc then filters the native one.
    architectures: [...(profile.architectures[arch] ?? [])],
    syscalls,
  };
  if (profile.defaultErrnoRet !== undefined) seccomp.defaultErrnoRet = profile.defaultErrnoRet;
  return seccomp;
}

// ---------------------------------------------------------------------------------------------
// Environment (daemon/container/container.go CreateDaemonEnvironment, env.go)

/** ReplaceOrAppendEnvValues: overrides replace defaults with the same key or are appended; a bare
 *  KEY (no "=") unsets a default. */
export function replaceOrAppendEnvValues(defaults: readonly string[], overrides: readonly string[]): string[] {
  const result: Array<string | undefined> = [...defaults];
  const index = new Map<string, number>();
  defaults.forEach((e, i) => index.set(envKey(e), i));
  for (const value of overrides) {
    if (!value.includes("=")) {
      const i = index.get(value);
      if (i !== undefined) result[i] = undefined;
      continue;
    }
    const i = index.get(envKey(value));
    if (i !== undefined) result[i] = value;
    else result.push(value);
  }
  return result.filter((e): e is string => e !== undefined && e !== "");
}

function envKey(entry: string): string {
  const eq = entry.indexOf("=");
  return eq === -1 ? entry : entry.slice(0, eq);
}

/** PATH and HOSTNAME (and TERM=xterm with a tty) first; the container's env wins. */
export function daemonEnvironment(env: readonly string[], hostname: string, tty: boolean): string[] {
  const defaults = [`PATH=${DEFAULT_PATH_ENV}`, `HOSTNAME=${hostname}`];
  if (tty) defaults.push("TERM=xterm");
  return replaceOrAppendEnvValues(defaults, env);
}

// ---------------------------------------------------------------------------------------------
// Mounts (daemon/oci_linux.go withMounts, daemon/volumes.go sortMounts)

/** Path depth as moby counts it: separators in the cleaned path ("/" and "/a" are 1, "/a/b" 2). */
function depth(destination: string): number {
  return cleanPath(destination).split("/").length - 1;
}

function cleanPath(p: string): string {
  const parts: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

/** The generated /etc files, as NetworkMounts makes them: rbind, read-only with a read-only root. */
function etcMounts(input: SpecInput): OciMount[] {
  const files: Array<[string, string]> = [
    ["/etc/resolv.conf", input.etcFiles.resolvConf],
    ["/etc/hostname", input.etcFiles.hostname],
    ["/etc/hosts", input.etcFiles.hosts],
  ];
  return files
    .filter(([, source]) => source !== "")
    .map(([destination, source]) => ({
      destination,
      type: "bind",
      source,
      options: input.readonlyRootfs ? ["rbind", "ro", "rprivate"] : ["rbind", "rprivate"],
    }));
}

function buildMounts(input: SpecInput): { mounts: OciMount[]; rootfsPropagation?: string } {
  const user: OciMount[] = input.mounts.map((m) => ({
    destination: cleanPath(m.destination),
    type: m.type,
    source: m.type === "tmpfs" && m.source === "" ? "tmpfs" : m.source,
    options: [...m.options],
  }));
  const userDestinations = new Set(user.map((m) => m.destination));
  // A user mount on an /etc file replaces the generated one (container.TrySetNetworkMount).
  const etc = etcMounts(input).filter((m) => !userDestinations.has(m.destination));
  // dockerd passes tmpfs mounts first, then binds and volumes, then the /etc files, and sorts the
  // lot by depth so parents are mounted before children. Go's sort.Sort is stable for the short
  // lists containers have (insertion sort below 13 elements); a stable sort keeps that order always.
  const extra = [...user.filter((m) => m.type === "tmpfs"), ...user.filter((m) => m.type !== "tmpfs"), ...etc];
  const sorted = extra
    .map((m, i) => ({ m, i, d: depth(m.destination) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .map((x) => x.m);
  const extraDestinations = new Set(sorted.map((m) => m.destination));

  // Defaults, minus those a user mount replaces, minus everything under /dev when /dev is
  // user-mounted; /dev/shm gets its size.
  const mountDev = extraDestinations.has("/dev");
  const mounts: OciMount[] = [];
  for (const m of defaultMounts()) {
    if (extraDestinations.has(m.destination)) continue;
    if (mountDev && m.destination.startsWith("/dev/")) continue;
    if (m.destination === "/dev/shm") m.options.push(`size=${input.shmSize}`);
    mounts.push(m);
  }

  // A shared bind needs a shared root, a slave bind at least a slave one; otherwise moby leaves
  // rootfsPropagation unset and runc makes the root rslave. (dockerd also checks that the bind's
  // source sits on a shared or slave mount; that needs the host's mountinfo, so runc is left to fail.)
  let rootfsPropagation: string | undefined;
  for (const m of sorted) {
    if (m.type !== "bind") continue;
    if (m.options.some((o) => o === "shared" || o === "rshared")) rootfsPropagation = "shared";
    else if (m.options.some((o) => o === "slave" || o === "rslave") && rootfsPropagation !== "shared") rootfsPropagation = "rslave";
  }
  mounts.push(...sorted);

  // A read-only root makes the default mounts read-only too, except those that must stay writable.
  if (input.readonlyRootfs) {
    const writable = new Set(["/proc", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev"]);
    for (const m of mounts) {
      if (writable.has(m.destination) || extraDestinations.has(m.destination)) continue;
      if (!m.options.includes("ro")) m.options.push("ro");
    }
  }
  // Privileged: /sys and the cgroup mount writable (writableCgroups defaults to privileged).
  if (input.privileged) {
    for (const m of mounts) {
      if (m.destination === "/sys" || m.type === "cgroup") m.options = m.options.filter((o) => o !== "ro");
    }
  }
  return rootfsPropagation === undefined ? { mounts } : { mounts, rootfsPropagation };
}

// ---------------------------------------------------------------------------------------------
// Resources (daemon/daemon_unix.go getMemoryResources, getCPUResources, getPidsLimit)

function buildResources(input: SpecInput): OciResources {
  // Privileged: every device is allowed (moby also creates every host device node; moor does not).
  const resources: OciResources = {
    devices: input.privileged ? [{ allow: true, access: "rwm" }] : defaultDeviceRules(),
    blockIO: {},
  };
  const memory: { limit?: number; swap?: number } = {};
  if (input.memoryBytes !== undefined && input.memoryBytes > 0) memory.limit = input.memoryBytes;
  if (input.memorySwapBytes !== undefined && input.memorySwapBytes > 0) memory.swap = input.memorySwapBytes;
  if (Object.keys(memory).length > 0) resources.memory = memory;

  const cpu: { shares?: number; quota?: number; period?: number } = {};
  if (input.cpuShares !== undefined && input.cpuShares !== 0) {
    if (input.cpuShares < 0) {
      throw new MoorError("invalid", `invalid CPU shares (${input.cpuShares}): value must be a positive integer`);
    }
    cpu.shares = input.cpuShares;
  }
  if (input.nanoCpus !== undefined && input.nanoCpus > 0) {
    // A 100ms period and the quota NanoCPUs asks for, in Go's integer arithmetic.
    const period = 100_000;
    cpu.period = period;
    cpu.quota = Number((BigInt(Math.trunc(input.nanoCpus)) * BigInt(period)) / 1_000_000_000n);
  }
  if (Object.keys(cpu).length > 0) resources.cpu = cpu;

  if (input.pidsLimit !== undefined) resources.pids = { limit: input.pidsLimit <= 0 ? -1 : input.pidsLimit };
  return resources;
}

// ---------------------------------------------------------------------------------------------

/** Namespaces in DefaultLinuxSpec's order (mount, network, uts, pid, ipc), then cgroup. dockerd
 *  also adds a time namespace on kernels ≥ 5.6; runc 1.1 cannot create one, so moor leaves it out. */
function buildNamespaces(input: SpecInput): OciLinux["namespaces"] {
  const namespaces: OciLinux["namespaces"] = [{ type: "mount" }];
  if (input.network !== "host") namespaces.push({ type: "network" });
  namespaces.push({ type: "uts" }, { type: "pid" }, { type: "ipc" });
  if ((input.cgroupnsMode ?? "private") === "private") namespaces.push({ type: "cgroup" });
  return namespaces;
}

/** The process user as dockerd sets it: the primary group is also the first supplementary one. */
export function processUser(user: SpecInput["user"]): OciProcess["user"] {
  return { uid: user.uid, gid: user.gid, additionalGids: [user.gid, ...user.additionalGids.filter((g) => g !== user.gid)] };
}

/**
 * The runc config.json for a container, as dockerd would write it. Throws MoorError("invalid")
 * for an unknown capability or negative CPU shares, with dockerd's texts.
 */
export function buildSpec(input: SpecInput): OciSpec {
  const host = input.host ?? {};
  const caps = effectiveCapabilities(input);

  const proc: OciProcess = {
    user: processUser(input.user),
    args: [...input.args],
    env: daemonEnvironment(input.env, input.hostname, input.tty),
    cwd: input.cwd === "" ? "/" : input.cwd,
    capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
    oomScoreAdj: input.oomScoreAdj ?? 0,
  };
  if (input.tty) {
    proc.terminal = true;
    const [height, width] = input.consoleSize ?? [0, 0];
    if (height > 0 || width > 0) proc.consoleSize = { height, width };
  }
  if (input.ulimits && input.ulimits.length > 0) {
    proc.rlimits = input.ulimits.map((u) => ({ type: "RLIMIT_" + u.name.toUpperCase(), hard: u.hard, soft: u.soft }));
  }
  if (input.noNewPrivileges) proc.noNewPrivileges = true;

  // Sysctls for an own network namespace: ping without CAP_NET_RAW, ports below 1024 without
  // CAP_NET_BIND_SERVICE (dockerd checks they exist; both do on every kernel Node 20 runs on).
  const sysctl: Record<string, string> = {};
  if (input.domainname) sysctl["kernel.domainname"] = input.domainname;
  if (input.network !== "host") {
    sysctl["net.ipv4.ping_group_range"] = "0 2147483647";
    sysctl["net.ipv4.ip_unprivileged_port_start"] = "0";
  }
  Object.assign(sysctl, input.sysctls);

  const { mounts, rootfsPropagation } = buildMounts(input);
  const linux: OciLinux = {
    resources: buildResources(input),
    cgroupsPath: input.cgroupsPath ?? `/moor/${input.id}`,
    namespaces: buildNamespaces(input),
  };
  if (Object.keys(sysctl).length > 0) linux.sysctl = sysctl;
  if (!input.seccompUnconfined && !input.privileged) linux.seccomp = defaultSeccompProfile(caps, host);
  if (rootfsPropagation !== undefined) linux.rootfsPropagation = rootfsPropagation;
  if (!input.privileged) {
    linux.maskedPaths = [...DEFAULT_MASKED_PATHS, ...(host.thermalThrottlePaths ?? [])];
    linux.readonlyPaths = [...DEFAULT_READONLY_PATHS];
  }

  const root: OciSpec["root"] = { path: input.rootfs };
  if (input.readonlyRootfs) root.readonly = true;

  return { ociVersion: OCI_VERSION, process: proc, root, hostname: input.hostname, mounts, linux };
}
