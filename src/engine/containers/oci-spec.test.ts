import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { MoorError } from "../../errors.ts";
import {
  buildSpec,
  DEFAULT_CAPABILITIES,
  DEFAULT_MASKED_PATHS,
  DEFAULT_PATH_ENV,
  DEFAULT_READONLY_PATHS,
  defaultSeccompProfile,
  KNOWN_CAPABILITIES,
  type OciSeccomp,
  type OciSpec,
  type SpecInput,
} from "./oci-spec.ts";
import profileFile from "./seccomp-default.json" with { type: "json" };

const AMD64_6_1 = { arch: "x64", kernelRelease: "6.1.0-18-amd64" };

function input(overrides: Partial<SpecInput> = {}): SpecInput {
  return {
    id: "c0ffee",
    rootfs: "/var/lib/moor/containers/c0ffee/merged",
    readonlyRootfs: false,
    hostname: "c0ffee",
    args: ["sh", "-c", "echo hi"],
    env: [],
    cwd: "",
    user: { uid: 0, gid: 0, additionalGids: [] },
    tty: false,
    openStdin: false,
    capAdd: [],
    capDrop: [],
    privileged: false,
    noNewPrivileges: false,
    seccompUnconfined: false,
    network: "none",
    mounts: [],
    etcFiles: {
      hosts: "/var/lib/moor/containers/c0ffee/hosts",
      hostname: "/var/lib/moor/containers/c0ffee/hostname",
      resolvConf: "/var/lib/moor/containers/c0ffee/resolv.conf",
    },
    shmSize: 64 * 1024 * 1024,
    host: AMD64_6_1,
    ...overrides,
  };
}

function mount(spec: OciSpec, destination: string) {
  return spec.mounts.find((m) => m.destination === destination);
}

/** Allowed unconditionally: in an ALLOW rule without argument conditions. */
function allows(seccomp: OciSeccomp | undefined, name: string): boolean {
  assert.ok(seccomp, "the spec has a seccomp filter");
  return seccomp.syscalls.some((s) => s.action === "SCMP_ACT_ALLOW" && !s.args && s.names.includes(name));
}

const withoutCaps = (...drop: string[]) => DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c));

test("the default spec is dockerd's", () => {
  const spec = buildSpec(input());
  assert.equal(spec.ociVersion, "1.0.2-dev");
  assert.deepEqual(spec.root, { path: "/var/lib/moor/containers/c0ffee/merged" });
  assert.equal(spec.hostname, "c0ffee");
  assert.deepEqual(spec.process.capabilities, {
    bounding: [...DEFAULT_CAPABILITIES],
    effective: [...DEFAULT_CAPABILITIES],
    permitted: [...DEFAULT_CAPABILITIES],
  });
  assert.equal(spec.process.oomScoreAdj, 0);
  assert.equal(spec.process.terminal, undefined);
  assert.equal(spec.process.noNewPrivileges, undefined);
  assert.equal(spec.process.rlimits, undefined, "dockerd sets no rlimits unless asked (--ulimit, default-ulimits)");
  assert.equal("apparmorProfile" in spec.process, false);
  assert.deepEqual(
    spec.linux.namespaces.map((n) => n.type),
    ["mount", "network", "uts", "pid", "ipc", "cgroup"],
  );
  assert.deepEqual(spec.linux.maskedPaths, DEFAULT_MASKED_PATHS);
  assert.deepEqual(spec.linux.readonlyPaths, DEFAULT_READONLY_PATHS);
  assert.equal(spec.linux.cgroupsPath, "/moor/c0ffee");
  assert.equal(spec.linux.rootfsPropagation, undefined, "moby leaves it unset (runc then makes the root rslave)");
  assert.deepEqual(spec.linux.resources, {
    devices: [
      { allow: false, access: "rwm" },
      { allow: true, type: "c", major: 1, minor: 5, access: "rwm" },
      { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
      { allow: true, type: "c", major: 1, minor: 9, access: "rwm" },
      { allow: true, type: "c", major: 1, minor: 8, access: "rwm" },
      { allow: true, type: "c", major: 5, minor: 0, access: "rwm" },
      { allow: true, type: "c", major: 5, minor: 1, access: "rwm" },
      { allow: false, type: "c", major: 10, minor: 229, access: "rwm" },
    ],
    blockIO: {},
  });
  assert.deepEqual(spec.mounts, [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["ro", "nosuid", "noexec", "nodev"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=67108864"] },
    { destination: "/etc/resolv.conf", type: "bind", source: "/var/lib/moor/containers/c0ffee/resolv.conf", options: ["rbind", "rprivate"] },
    { destination: "/etc/hostname", type: "bind", source: "/var/lib/moor/containers/c0ffee/hostname", options: ["rbind", "rprivate"] },
    { destination: "/etc/hosts", type: "bind", source: "/var/lib/moor/containers/c0ffee/hosts", options: ["rbind", "rprivate"] },
  ]);
  assert.ok(spec.linux.seccomp);
  assert.equal(spec.linux.seccomp.defaultAction, "SCMP_ACT_ERRNO");
  assert.equal(spec.linux.seccomp.defaultErrnoRet, 1);
});

test("CapAdd and CapDrop follow moby's TweakCapabilities", () => {
  const cases: Array<{ name: string; capAdd?: string[]; capDrop?: string[]; host?: SpecInput["host"]; want: string[] }> = [
    { name: "add one", capAdd: ["NET_ADMIN"], want: [...DEFAULT_CAPABILITIES, "CAP_NET_ADMIN"] },
    { name: "names are case-insensitive, prefix optional", capAdd: ["cap_net_admin", "sys_ptrace"], want: [...DEFAULT_CAPABILITIES, "CAP_NET_ADMIN", "CAP_SYS_PTRACE"] },
    { name: "drop some", capDrop: ["CHOWN", "CAP_KILL"], want: withoutCaps("CAP_CHOWN", "CAP_KILL") },
    { name: "drop and add", capAdd: ["SYS_TIME"], capDrop: ["NET_RAW"], want: [...withoutCaps("CAP_NET_RAW"), "CAP_SYS_TIME"] },
    { name: "adding a default lists it twice, as moby", capAdd: ["CHOWN"], want: [...DEFAULT_CAPABILITIES, "CAP_CHOWN"] },
    { name: "add ALL", capAdd: ["ALL"], want: [...KNOWN_CAPABILITIES] },
    { name: "add all (any case) minus a drop", capAdd: ["all"], capDrop: ["NET_RAW"], want: KNOWN_CAPABILITIES.filter((c) => c !== "CAP_NET_RAW") },
    { name: "drop ALL keeps only the adds", capAdd: ["CHOWN", "SETUID"], capDrop: ["ALL"], want: ["CAP_CHOWN", "CAP_SETUID"] },
    { name: "drop ALL", capDrop: ["ALL"], want: [] },
    { name: "ALL means what the engine has", capAdd: ["ALL"], host: { ...AMD64_6_1, capabilities: ["CAP_CHOWN", "CAP_KILL"] }, want: ["CAP_CHOWN", "CAP_KILL"] },
  ];
  for (const c of cases) {
    const spec = buildSpec(input({ capAdd: c.capAdd ?? [], capDrop: c.capDrop ?? [], host: c.host ?? AMD64_6_1 }));
    assert.deepEqual(spec.process.capabilities.bounding, c.want, c.name);
    assert.deepEqual(spec.process.capabilities.effective, c.want, c.name);
    assert.deepEqual(spec.process.capabilities.permitted, c.want, c.name);
  }
});

test("unknown capabilities are refused with dockerd's texts", () => {
  const cases: Array<{ capAdd?: string[]; capDrop?: string[]; host?: SpecInput["host"]; message: string }> = [
    { capAdd: ["FOO"], message: 'unknown capability: "CAP_FOO"' },
    { capAdd: ["CAP_FOO"], message: 'unknown capability: "CAP_FOO"' },
    { capDrop: ["cap_foo"], message: 'unknown capability: "CAP_FOO"' },
    { capAdd: ["NET_ADMIN", "bogus"], message: 'unknown capability: "CAP_BOGUS"' },
    {
      capAdd: ["SYS_ADMIN"],
      host: { ...AMD64_6_1, capabilities: [...DEFAULT_CAPABILITIES] },
      message: 'capability not supported by your kernel or not available in the current environment: "CAP_SYS_ADMIN"',
    },
  ];
  for (const c of cases) {
    assert.throws(
      () => buildSpec(input({ capAdd: c.capAdd ?? [], capDrop: c.capDrop ?? [], host: c.host ?? AMD64_6_1 })),
      (err: unknown) => err instanceof MoorError && err.kind === "invalid" && err.message === c.message,
      c.message,
    );
  }
});

test("privileged: every capability, no seccomp, no masked paths, writable /sys and cgroups, all devices", () => {
  const spec = buildSpec(input({ privileged: true, capDrop: ["ALL"] }));
  assert.deepEqual(spec.process.capabilities.bounding, [...KNOWN_CAPABILITIES], "privileged ignores CapDrop, as moby");
  assert.equal(spec.linux.seccomp, undefined);
  assert.equal(spec.linux.maskedPaths, undefined);
  assert.equal(spec.linux.readonlyPaths, undefined);
  assert.deepEqual(mount(spec, "/sys")?.options, ["nosuid", "noexec", "nodev"]);
  assert.deepEqual(mount(spec, "/sys/fs/cgroup")?.options, ["nosuid", "noexec", "nodev"]);
  assert.deepEqual(spec.linux.resources.devices, [{ allow: true, access: "rwm" }]);
  const limited = buildSpec(input({ privileged: true, host: { ...AMD64_6_1, capabilities: ["CAP_CHOWN"] } }));
  assert.deepEqual(limited.process.capabilities.bounding, ["CAP_CHOWN"], "privileged gets what the engine has");
});

test("a read-only root: root.readonly, read-only /etc files, writable /dev, /proc and user mounts", () => {
  const spec = buildSpec(
    input({
      readonlyRootfs: true,
      mounts: [
        { destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "rprivate"] },
        { destination: "/run", type: "tmpfs", source: "tmpfs", options: ["noexec", "nosuid", "nodev", "rprivate"] },
      ],
    }),
  );
  assert.deepEqual(spec.root, { path: "/var/lib/moor/containers/c0ffee/merged", readonly: true });
  for (const file of ["/etc/resolv.conf", "/etc/hostname", "/etc/hosts"]) {
    assert.deepEqual(mount(spec, file)?.options, ["rbind", "ro", "rprivate"], file);
  }
  assert.deepEqual(mount(spec, "/data")?.options, ["rbind", "rprivate"]);
  assert.deepEqual(mount(spec, "/run")?.options, ["noexec", "nosuid", "nodev", "rprivate"]);
  for (const writable of ["/proc", "/dev", "/dev/pts", "/dev/mqueue", "/dev/shm"]) {
    assert.equal(mount(spec, writable)?.options.includes("ro"), false, writable);
  }
  assert.deepEqual(mount(spec, "/sys")?.options, ["nosuid", "noexec", "nodev", "ro"]);
  assert.deepEqual(mount(spec, "/sys/fs/cgroup")?.options, ["ro", "nosuid", "noexec", "nodev"]);
});

test("network none gets its own namespace and dockerd's sysctls; host shares the host's", () => {
  const cases: Array<{ network: SpecInput["network"]; namespaces: string[]; sysctl: Record<string, string> | undefined }> = [
    {
      network: "none",
      namespaces: ["mount", "network", "uts", "pid", "ipc", "cgroup"],
      sysctl: { "net.ipv4.ping_group_range": "0 2147483647", "net.ipv4.ip_unprivileged_port_start": "0" },
    },
    { network: "host", namespaces: ["mount", "uts", "pid", "ipc", "cgroup"], sysctl: undefined },
  ];
  for (const c of cases) {
    const spec = buildSpec(input({ network: c.network }));
    assert.deepEqual(spec.linux.namespaces.map((n) => n.type), c.namespaces, c.network);
    assert.ok(spec.linux.namespaces.every((n) => n.path === undefined), "every namespace is new");
    assert.deepEqual(spec.linux.sysctl, c.sysctl, c.network);
  }
  const v1 = buildSpec(input({ cgroupnsMode: "host" }));
  assert.deepEqual(v1.linux.namespaces.map((n) => n.type), ["mount", "network", "uts", "pid", "ipc"]);
  const sysctls = buildSpec(input({ sysctls: { "net.ipv4.ip_unprivileged_port_start": "1024", "kernel.msgmax": "1" }, domainname: "example.org" }));
  assert.deepEqual(sysctls.linux.sysctl, {
    "kernel.domainname": "example.org",
    "net.ipv4.ping_group_range": "0 2147483647",
    "net.ipv4.ip_unprivileged_port_start": "1024",
    "kernel.msgmax": "1",
  });
});

test("mounts: defaults, then user and /etc mounts by depth; a user mount replaces a default", () => {
  const bind = (destination: string, source = "/srv" + destination) => ({ destination, type: "bind" as const, source, options: ["rbind", "rprivate"] });
  const tmpfs = (destination: string) => ({ destination, type: "tmpfs" as const, source: "tmpfs", options: ["noexec", "nosuid", "nodev", "rprivate"] });
  const defaults = ["/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm"];
  const etc = ["/etc/resolv.conf", "/etc/hostname", "/etc/hosts"];
  const cases: Array<{ name: string; mounts: SpecInput["mounts"]; want: string[]; etcFiles?: SpecInput["etcFiles"] }> = [
    { name: "none", mounts: [], want: [...defaults, ...etc] },
    {
      name: "parents before children, tmpfs first within a depth",
      mounts: [bind("/data/sub/deeper"), bind("/data/sub"), bind("/data"), tmpfs("/tmp"), tmpfs("/var/cache")],
      want: [...defaults, "/tmp", "/data", "/var/cache", "/data/sub", ...etc, "/data/sub/deeper"],
    },
    {
      name: "a user /etc/hosts replaces the generated one",
      mounts: [bind("/etc/hosts", "/srv/myhosts")],
      want: [...defaults, "/etc/hosts", "/etc/resolv.conf", "/etc/hostname"],
    },
    { name: "a user /dev/shm replaces the default", mounts: [tmpfs("/dev/shm")], want: [...defaults.filter((d) => d !== "/dev/shm"), "/dev/shm", ...etc] },
    {
      name: "a user /dev drops every default under /dev",
      mounts: [bind("/dev", "/dev")],
      want: ["/proc", "/sys", "/sys/fs/cgroup", "/dev", ...etc],
    },
    { name: "a user /proc replaces the default", mounts: [bind("/proc")], want: ["/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm", "/proc", ...etc] },
    { name: "unclean destinations are cleaned", mounts: [bind("/data/")], want: [...defaults, "/data", ...etc] },
    {
      name: "an empty /etc file path is skipped",
      mounts: [],
      etcFiles: { hosts: "/h", hostname: "", resolvConf: "" },
      want: [...defaults, "/etc/hosts"],
    },
  ];
  for (const c of cases) {
    const spec = buildSpec(input({ mounts: c.mounts, ...(c.etcFiles ? { etcFiles: c.etcFiles } : {}) }));
    assert.deepEqual(spec.mounts.map((m) => m.destination), c.want, c.name);
  }
  const replaced = buildSpec(input({ mounts: [bind("/etc/hosts", "/srv/myhosts")] }));
  assert.equal(mount(replaced, "/etc/hosts")?.source, "/srv/myhosts");
  const shm = buildSpec(input({ shmSize: 1024 }));
  assert.deepEqual(mount(shm, "/dev/shm")?.options, ["nosuid", "noexec", "nodev", "mode=1777", "size=1024"]);
});

test("rootfsPropagation follows shared and slave binds, as dockerd", () => {
  const bind = (destination: string, propagation: string) => ({ destination, type: "bind" as const, source: "/srv" + destination, options: ["rbind", propagation] });
  const cases: Array<{ mounts: SpecInput["mounts"]; want: string | undefined }> = [
    { mounts: [bind("/a", "rprivate")], want: undefined },
    { mounts: [bind("/a", "rshared")], want: "shared" },
    { mounts: [bind("/a", "shared")], want: "shared" },
    { mounts: [bind("/a", "rslave")], want: "rslave" },
    { mounts: [bind("/a", "slave")], want: "rslave" },
    { mounts: [bind("/a", "rshared"), bind("/b", "rslave")], want: "shared" },
    { mounts: [bind("/a", "rslave"), bind("/b", "rshared")], want: "shared" },
  ];
  for (const c of cases) {
    assert.equal(buildSpec(input({ mounts: c.mounts })).linux.rootfsPropagation, c.want, JSON.stringify(c.mounts.map((m) => m.options[1])));
  }
});

test("seccomp: present by default, absent when unconfined or privileged", () => {
  assert.ok(buildSpec(input()).linux.seccomp);
  assert.equal(buildSpec(input({ seccompUnconfined: true })).linux.seccomp, undefined);
  assert.equal(buildSpec(input({ privileged: true })).linux.seccomp, undefined);
  const spec = buildSpec(input());
  for (const call of spec.linux.seccomp!.syscalls) {
    assert.deepEqual(
      Object.keys(call).filter((k) => !["names", "action", "errnoRet", "args"].includes(k)),
      [],
      "only OCI fields reach runc",
    );
  }
});

test("seccomp rules follow the container's capabilities as in moby's profile", () => {
  const cases: Array<{ name: string; capAdd?: string[]; capDrop?: string[]; kernelRelease?: string; allowed: string[]; denied: string[] }> = [
    {
      name: "defaults",
      allowed: ["read", "chroot", "ptrace", "process_vm_readv", "arch_prctl", "modify_ldt"],
      denied: ["kcmp", "pidfd_getfd", "process_madvise", "mount", "unshare", "setns", "reboot", "init_module", "settimeofday", "bpf", "perf_event_open", "open_by_handle_at", "syslog", "set_tls"],
    },
    { name: "SYS_PTRACE", capAdd: ["SYS_PTRACE"], allowed: ["ptrace", "kcmp", "pidfd_getfd", "process_madvise"], denied: ["mount"] },
    { name: "ptrace on a kernel before 4.8 needs SYS_PTRACE", kernelRelease: "4.4.0-210-generic", allowed: ["read"], denied: ["ptrace", "process_vm_readv", "process_vm_writev"] },
    { name: "old kernel with SYS_PTRACE", kernelRelease: "4.4.0", capAdd: ["SYS_PTRACE"], allowed: ["ptrace", "process_vm_writev"], denied: [] },
    { name: "SYS_ADMIN", capAdd: ["SYS_ADMIN"], allowed: ["mount", "umount2", "unshare", "setns", "clone", "clone3", "sethostname"], denied: ["reboot"] },
    { name: "dropping SYS_CHROOT", capDrop: ["SYS_CHROOT"], allowed: ["read"], denied: ["chroot"] },
    { name: "SYS_TIME", capAdd: ["SYS_TIME"], allowed: ["settimeofday", "clock_settime"], denied: [] },
    { name: "DAC_READ_SEARCH", capAdd: ["DAC_READ_SEARCH"], allowed: ["open_by_handle_at"], denied: [] },
    { name: "BPF and PERFMON", capAdd: ["BPF", "PERFMON"], allowed: ["bpf", "perf_event_open"], denied: ["mount"] },
    { name: "ALL", capAdd: ["ALL"], allowed: ["mount", "reboot", "init_module", "kcmp", "syslog", "vhangup", "mbind"], denied: ["set_tls"] },
  ];
  for (const c of cases) {
    const spec = buildSpec(input({ capAdd: c.capAdd ?? [], capDrop: c.capDrop ?? [], host: { arch: "x64", kernelRelease: c.kernelRelease ?? "6.1.0" } }));
    for (const name of c.allowed) assert.equal(allows(spec.linux.seccomp, name), true, `${c.name}: ${name} allowed`);
    for (const name of c.denied) assert.equal(allows(spec.linux.seccomp, name), false, `${c.name}: ${name} denied`);
  }
});

test("seccomp: clone is masked and clone3 answers ENOSYS without SYS_ADMIN", () => {
  const confined = buildSpec(input()).linux.seccomp!;
  assert.deepEqual(
    confined.syscalls.filter((s) => s.names.includes("clone") || s.names.includes("clone3")),
    [
      { names: ["clone"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 2114060288, op: "SCMP_CMP_MASKED_EQ" }] },
      { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38 },
    ],
  );
  const admin = buildSpec(input({ capAdd: ["SYS_ADMIN"] })).linux.seccomp!;
  assert.equal(admin.syscalls.some((s) => s.action === "SCMP_ACT_ERRNO"), false);
  assert.equal(admin.syscalls.some((s) => s.names.includes("clone") && s.args), false);
  const sockets = confined.syscalls.filter((s) => s.names.includes("socket"));
  assert.deepEqual(
    sockets.map((s) => s.args),
    [
      [{ index: 0, value: 38, op: "SCMP_CMP_LT" }],
      [{ index: 0, value: 39, op: "SCMP_CMP_EQ" }],
      [{ index: 0, value: 40, op: "SCMP_CMP_GT" }],
    ],
    "AF_ALG (38) and AF_VSOCK (40) stay refused",
  );
});

test("seccomp: architectures and arch-only rules follow the host", () => {
  const cases: Array<{ arch: string; architectures: string[]; allowed: string[]; denied: string[] }> = [
    { arch: "x64", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], allowed: ["arch_prctl", "modify_ldt"], denied: ["set_tls", "cacheflush"] },
    { arch: "amd64", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], allowed: ["arch_prctl"], denied: ["set_tls"] },
    { arch: "arm64", architectures: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], allowed: ["set_tls", "cacheflush", "arm_fadvise64_64"], denied: ["arch_prctl", "modify_ldt"] },
    { arch: "riscv64", architectures: [], allowed: ["read"], denied: ["arch_prctl", "set_tls"] },
  ];
  for (const c of cases) {
    const seccomp = defaultSeccompProfile(DEFAULT_CAPABILITIES, { arch: c.arch });
    assert.deepEqual(seccomp.architectures, c.architectures, c.arch);
    for (const name of c.allowed) assert.equal(allows(seccomp, name), true, `${c.arch}: ${name}`);
    for (const name of c.denied) assert.equal(allows(seccomp, name), false, `${c.arch}: ${name}`);
  }
});

test("the profile file holds moby's default profile for amd64 and arm64 only", () => {
  assert.deepEqual(Object.keys(profileFile.architectures).sort(), ["amd64", "arm64"]);
  assert.equal(profileFile.syscalls[0].names.length > 350, true, "the unconditional allow list");
  for (const rule of profileFile.syscalls as Array<{ arches?: string[] }>) {
    for (const arch of rule.arches ?? []) assert.ok(arch === "amd64" || arch === "arm64", arch);
  }
  assert.equal(profileFile.syscalls[0].names.includes("ptrace"), false, "ptrace only by kernel version or CAP_SYS_PTRACE");
});

test("env, cwd, user, args and tty pass through the way dockerd sets them", () => {
  const cases: Array<{ name: string; over: Partial<SpecInput>; env: string[] }> = [
    { name: "defaults first", over: {}, env: [`PATH=${DEFAULT_PATH_ENV}`, "HOSTNAME=c0ffee"] },
    { name: "TERM with a tty", over: { tty: true }, env: [`PATH=${DEFAULT_PATH_ENV}`, "HOSTNAME=c0ffee", "TERM=xterm"] },
    { name: "image PATH replaces the default in place", over: { env: ["FOO=1", "PATH=/opt/bin"] }, env: ["PATH=/opt/bin", "HOSTNAME=c0ffee", "FOO=1"] },
    { name: "a bare key unsets a default", over: { env: ["HOSTNAME", "A=b=c"] }, env: [`PATH=${DEFAULT_PATH_ENV}`, "A=b=c"] },
    { name: "a tty's TERM can be overridden", over: { tty: true, env: ["TERM=dumb"] }, env: [`PATH=${DEFAULT_PATH_ENV}`, "HOSTNAME=c0ffee", "TERM=dumb"] },
    { name: "HOSTNAME follows the hostname", over: { hostname: "web" }, env: [`PATH=${DEFAULT_PATH_ENV}`, "HOSTNAME=web"] },
  ];
  for (const c of cases) assert.deepEqual(buildSpec(input(c.over)).process.env, c.env, c.name);

  const cwds: Array<[string, string]> = [["", "/"], ["/app", "/app"]];
  for (const [cwd, want] of cwds) assert.equal(buildSpec(input({ cwd })).process.cwd, want);

  const users: Array<{ user: SpecInput["user"]; want: { uid: number; gid: number; additionalGids: number[] } }> = [
    { user: { uid: 0, gid: 0, additionalGids: [] }, want: { uid: 0, gid: 0, additionalGids: [0] } },
    { user: { uid: 1000, gid: 1000, additionalGids: [10, 1000, 27] }, want: { uid: 1000, gid: 1000, additionalGids: [1000, 10, 27] } },
    { user: { uid: 33, gid: 33, additionalGids: [33] }, want: { uid: 33, gid: 33, additionalGids: [33] } },
  ];
  for (const u of users) assert.deepEqual(buildSpec(input({ user: u.user })).process.user, u.want);

  const spec = buildSpec(input({ args: ["/bin/app", "--flag", "x y"], tty: true, consoleSize: [24, 80], noNewPrivileges: true, oomScoreAdj: 500 }));
  assert.deepEqual(spec.process.args, ["/bin/app", "--flag", "x y"]);
  assert.equal(spec.process.terminal, true);
  assert.deepEqual(spec.process.consoleSize, { height: 24, width: 80 });
  assert.equal(spec.process.noNewPrivileges, true);
  assert.equal(spec.process.oomScoreAdj, 500);
  assert.equal(buildSpec(input({ tty: true })).process.consoleSize, undefined, "no size asked, none set");
  assert.deepEqual(buildSpec(input({ ulimits: [{ name: "nofile", soft: 1024, hard: 4096 }] })).process.rlimits, [{ type: "RLIMIT_NOFILE", hard: 4096, soft: 1024 }]);
});

test("resources: memory, CPU and pids as dockerd converts them", () => {
  const cases: Array<{ name: string; over: Partial<SpecInput>; want: Partial<OciSpec["linux"]["resources"]> }> = [
    { name: "none", over: {}, want: {} },
    { name: "memory and swap", over: { memoryBytes: 1 << 30, memorySwapBytes: 2 ** 31 }, want: { memory: { limit: 1 << 30, swap: 2 ** 31 } } },
    { name: "unlimited swap", over: { memoryBytes: 1 << 30, memorySwapBytes: -1 }, want: { memory: { limit: 1 << 30 } } },
    { name: "cpus", over: { nanoCpus: 1_500_000_000 }, want: { cpu: { period: 100000, quota: 150000 } } },
    { name: "tiny cpus round down", over: { nanoCpus: 19_999 }, want: { cpu: { period: 100000, quota: 1 } } },
    { name: "shares", over: { cpuShares: 512 }, want: { cpu: { shares: 512 } } },
    { name: "pids", over: { pidsLimit: 100 }, want: { pids: { limit: 100 } } },
    { name: "pids 0 is unlimited", over: { pidsLimit: 0 }, want: { pids: { limit: -1 } } },
    { name: "pids negative is unlimited", over: { pidsLimit: -5 }, want: { pids: { limit: -1 } } },
  ];
  for (const c of cases) {
    const { devices, blockIO, ...rest } = buildSpec(input(c.over)).linux.resources;
    assert.equal(devices.length, 8, c.name);
    assert.deepEqual(blockIO, {}, c.name);
    assert.deepEqual(rest, c.want, c.name);
  }
  assert.throws(
    () => buildSpec(input({ cpuShares: -1 })),
    (err: unknown) => err instanceof MoorError && err.kind === "invalid" && err.message === "invalid CPU shares (-1): value must be a positive integer",
  );
});

test("host facts: thermal_throttle paths are masked; cgroupsPath can be set", () => {
  const spec = buildSpec(input({ cgroupsPath: "system.slice:moor:c0ffee", host: { ...AMD64_6_1, thermalThrottlePaths: ["/sys/devices/system/cpu/cpu0/thermal_throttle"] } }));
  assert.deepEqual(spec.linux.maskedPaths, [...DEFAULT_MASKED_PATHS, "/sys/devices/system/cpu/cpu0/thermal_throttle"]);
  assert.equal(spec.linux.cgroupsPath, "system.slice:moor:c0ffee");
});

test("buildSpec is pure: the input is left alone and specs share no arrays", () => {
  const given = input({
    env: ["A=1"],
    capAdd: ["NET_ADMIN"],
    mounts: [{ destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "rprivate"] }],
    readonlyRootfs: true,
  });
  const copy = structuredClone(given);
  const first = buildSpec(given);
  assert.deepEqual(given, copy);
  first.mounts.forEach((m) => m.options.push("mutated"));
  first.process.capabilities.bounding.push("mutated");
  first.linux.seccomp!.syscalls[0].names.push("mutated");
  const second = buildSpec(given);
  assert.equal(JSON.stringify(second).includes("mutated"), false);
  assert.deepEqual(given, copy);
});

test("the builder imports nothing but errors.ts and its profile (engine layer, no fs)", () => {
  const source = readFileSync(new URL("./oci-spec.ts", import.meta.url), "utf8");
  const imports = [...source.matchAll(/^import .* from "([^"]+)"/gm)].map((m) => m[1]);
  assert.deepEqual(imports, ["../../errors.ts", "./seccomp-default.json"]);
});
