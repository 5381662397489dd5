// Container mount scenarios: volumes, binds, tmpfs, image VOLUMEs, --volumes-from, copy-up and
// read-only mounts, run through the docker CLI (and raw API requests where the CLI cannot say
// it) with the runner of ./scenarios.ts. Recorded from the reference dockerd 20.10 into
// test/fixtures/dockerd-mounts.json (record-fixtures.ts --mounts), replayed against moor by
// test/mounts-compat.test.ts. Section numbers (§) are those of
// /work/shared/reference/docker-volume-semantics.md.
//
// Rules every scenario keeps, so that scenarios are independent, run in any order and on an
// engine shared with others (the reference daemon is):
//  - names of containers, volumes and labels start with `mnt-`; nothing outside them is
//    listed (ps/volume ls always filter by name or label);
//  - each scenario removes the containers (`rm -f`, `-v` where anonymous volumes hang on
//    them) and volumes it made, in its last steps, also when an earlier step failed;
//  - the images are those of ./mount-images.ts (createMountImages);
//  - inspect `.Mounts` is printed with `{{json .Mounts}}` and sorted by Destination by the
//    runner (`sortJsonBy`): the daemon keeps mount points in a Go map;
//  - several `-v` of one command are sent in the CLI's map order (random), so no step depends
//    on which of two binds the daemon sees first;
//  - API version pinned to 1.41, the reference daemon's.
//
// Left out: anything needing a volume plugin (unknown `--volume-driver` / `volume-driver=`,
// 15 s of plugin discovery then a pull attempt, "volume name must be unique" across drivers),
// SELinux relabelling, a prune racing another ("a prune operation is already running"), local
// driver remove failures ("volume has active mounts", "outside of the local volume root"),
// runtime (runc) error texts, API >= 1.42 behaviour (the reference is 1.41), and checks that
// only exercise the CLI (--mount syntax errors).
import type { HostEntry, Scenario, Step } from "./scenarios.ts";

const V = "1.41";
const BASE = "mnt-base:test";
const VOL = "mnt-vol:test";
const VOLFILE = "mnt-volfile:test";

const sc = (name: string, ...steps: Step[]): Scenario => ({ name, apiVersion: V, selfCleaning: true, steps });
const cli = (...args: string[]): Step => ({ cli: { args } });
/** Saves the trimmed stdout as `<name>` for later steps. */
const save = (name: string, ...args: string[]): Step => ({ cli: { args, saveAs: name } });
const sortedLines = (...args: string[]): Step => ({ cli: { args, sortLines: true } });
const sh = (script: string): string[] => ["sh", "-c", script];
/** inspect .Mounts, sorted by Destination. */
const mounts = (container: string): Step => ({
  cli: { args: ["container", "inspect", "--format", "{{json .Mounts}}", container], sortJsonBy: "Destination" },
});
const fmt = (container: string, format: string): Step => cli("container", "inspect", "--format", format, container);
const rmf = (...containers: string[]): Step => cli("rm", "-f", ...containers);
const rmfv = (...containers: string[]): Step => cli("rm", "-f", "-v", ...containers);
const vrm = (...volumes: string[]): Step => cli("volume", "rm", ...volumes);
/** Lists the volume if it exists (anchored name filter): nothing printed when it does not. */
const volExists = (volume: string): Step => cli("volume", "ls", "-q", "--filter", `name=^${volume}$`);
const hostDir = (...entries: HostEntry[]): Step => ({ hostDir: entries });
const hostList: Step = { hostList: true };
const JSONCT = { "Content-Type": "application/json" };
const apiCreate = (name: string, body: unknown): Step => ({
  api: { method: "POST", path: `/v${V}/containers/create?name=${name}`, body: JSON.stringify(body), headers: JSONCT },
});
const api = (method: string, path: string): Step => ({ api: { method, path } });
/** Names of the container's volumes, in Destination order. */
const volumeNames = (container: string): Step => ({
  cli: {
    args: ["container", "inspect", "--format", "{{range .Mounts}}{{.Destination}}={{.Name}}{{println}}{{end}}", container],
    sortLines: true,
  },
});
/** Mode, owner, link count and type of paths (busybox stat). */
const STAT = 'stat -c "%n %a %u:%g %h %F"';
const IN_TXT: HostEntry = { path: "in.txt", content: "from host\n" };

export const mountScenarios: Scenario[] = [
  // ---- binds (§8, §9, §15) -----------------------------------------------------------
  sc(
    "bind-data-both-ways",
    hostDir(IN_TXT),
    cli("run", "--rm", "-v", "<HOST>:/h", BASE, ...sh("cat /h/in.txt; echo from container > /h/out.txt; mkdir /h/made")),
    hostList,
  ),
  sc(
    "bind-v-creates-missing-source",
    cli("run", "--rm", "-v", "<HOST>/new/deeper:/h", BASE, ...sh("echo x > /h/f")),
    hostList,
  ),
  sc(
    "bind-mount-refuses-missing-source",
    cli("create", "--name", "mnt-bms", "--mount", "type=bind,src=<HOST>/missing,dst=/h", BASE),
    hostList,
    rmf("mnt-bms"),
  ),
  sc(
    "bind-mount-existing-source",
    hostDir(IN_TXT),
    cli("run", "--rm", "--mount", "type=bind,src=<HOST>,dst=/h", BASE, "cat", "/h/in.txt"),
    cli("create", "--name", "mnt-bme", "--mount", "type=bind,source=<HOST>,target=/h,readonly", BASE),
    mounts("mnt-bme"),
    fmt("mnt-bme", "{{json .HostConfig.Mounts}} {{json .HostConfig.Binds}} {{json .Config.Volumes}}"),
    rmfv("mnt-bme"),
  ),
  sc(
    "bind-files-and-generated-files",
    hostDir(
      { path: "hosts", content: "10.1.2.3 mnt-host\n" },
      { path: "hostname", content: "mnt-name\n" },
      { path: "resolv.conf", content: "nameserver 10.9.9.9\n" },
      { path: "f.txt", content: "single file\n", mode: 0o600, uid: 1000, gid: 1000 },
    ),
    cli(
      "run", "--rm",
      "-v", "<HOST>/hosts:/etc/hosts",
      "-v", "<HOST>/hostname:/etc/hostname",
      "-v", "<HOST>/resolv.conf:/etc/resolv.conf",
      "-v", "<HOST>/f.txt:/srv/f.txt",
      BASE, ...sh(`cat /etc/hosts /etc/hostname /etc/resolv.conf /srv/f.txt; ${STAT} /srv/f.txt`),
    ),
  ),
  sc(
    "bind-read-only-enforced",
    hostDir(IN_TXT),
    cli("run", "--rm", "-v", "<HOST>:/h:ro", BASE, ...sh("cat /h/in.txt; touch /h/x")),
    cli("run", "--rm", "--mount", "type=bind,src=<HOST>,dst=/h,readonly", BASE, "touch", "/h/y"),
    cli("run", "--rm", "--mount", "type=bind,src=<HOST>,dst=/h,ro=false", BASE, "touch", "/h/z"),
    hostList,
  ),
  sc(
    "bind-modes-in-inspect",
    cli(
      "create", "--name", "mnt-modes",
      "-v", "<HOST>/a:/a:ro",
      "-v", "<HOST>/b:/b:rw,cached",
      "-v", "<HOST>/c:/c:delegated,ro",
      "-v", "<HOST>/d:/d:rslave",
      "-v", "<HOST>/e:/e:z",
      "-v", "<HOST>/f/:/f/",
      "-v", "mnt-m1:/m1:ro,nocopy,z",
      "-v", "mnt-m2:/m2",
      "-v", "mnt-m3:/m3/",
      BASE,
    ),
    mounts("mnt-modes"),
    sortedLines("container", "inspect", "--format", "{{range .HostConfig.Binds}}{{println .}}{{end}}", "mnt-modes"),
    fmt("mnt-modes", "{{json .Config.Volumes}} {{json .HostConfig.Mounts}}"),
    // Binds sources are made at start, not at create.
    hostList,
    rmfv("mnt-modes"),
    vrm("mnt-m1", "mnt-m2", "mnt-m3"),
  ),
  sc(
    "bind-identical-flags-deduplicated",
    cli("run", "--rm", "-v", "<HOST>:/h", "-v", "<HOST>:/h", BASE, ...sh("grep -c ' /h ' /proc/mounts")),
  ),
  sc(
    "bind-invalid-spec",
    cli("create", "--name", "mnt-bad", "-v", "", BASE),
    cli("create", "--name", "mnt-bad", "-v", "/foo:rw", BASE),
    cli("create", "--name", "mnt-bad", "-v", "/foo:ro", BASE),
    cli("create", "--name", "mnt-bad", "-v", "mnt-x:/x:ro:z", BASE),
    cli("create", "--name", "mnt-bad", "-v", "a::b", BASE),
    rmf("mnt-bad"),
    volExists("mnt-x"),
  ),
  sc(
    "bind-invalid-mode",
    cli("create", "--name", "mnt-bad", "-v", "mnt-x:/x:bogus", BASE),
    cli("create", "--name", "mnt-bad", "-v", "mnt-x:/x:ro,rw", BASE),
    cli("create", "--name", "mnt-bad", "-v", "mnt-x:/x:z,Z", BASE),
    cli("create", "--name", "mnt-bad", "-v", "mnt-x:/x:rw,rw", BASE),
    cli("create", "--name", "mnt-bad", "-v", "mnt-x:/x:default", BASE),
    cli("create", "--name", "mnt-bad", "-v", "mnt-x:/x:copy", BASE),
    cli("create", "--name", "mnt-bad", "-v", "<HOST>:/x:rshared,private", BASE),
    rmf("mnt-bad"),
    volExists("mnt-x"),
  ),
  sc(
    "bind-option-for-other-type",
    cli("create", "--name", "mnt-bad", "-v", "<HOST>:/x:nocopy", BASE),
    cli("create", "--name", "mnt-bad", "-v", "mnt-x:/x:rshared", BASE),
    cli("create", "--name", "mnt-bad", "-v", "mnt-x:/x:ro,slave", BASE),
    rmf("mnt-bad"),
    volExists("mnt-x"),
  ),
  sc(
    "bind-invalid-destination",
    cli("create", "--name", "mnt-bad", "-v", "mnt-x:relative", BASE),
    cli("create", "--name", "mnt-bad", "-v", "mnt-x:/", BASE),
    cli("create", "--name", "mnt-bad", "-v", "<HOST>:/", BASE),
    cli("create", "--name", "mnt-bad", "-v", "<HOST>:relative:ro", BASE),
    rmf("mnt-bad"),
    volExists("mnt-x"),
  ),
  sc(
    "bind-invalid-volume-name",
    cli("create", "--name", "mnt-bad", "-v", "mnt@bad:/x", BASE),
    cli("create", "--name", "mnt-bad", "-v", "-mnt:/x", BASE),
    cli("create", "--name", "mnt-bad", "-v", "mnt bad:/x", BASE),
    rmf("mnt-bad"),
  ),
  sc(
    "api-binds-only-the-api-can-send",
    // A 1-char volume name (the CLI reads `x:` as a Windows drive).
    apiCreate("mnt-api1", { Image: BASE, HostConfig: { Binds: ["x:/y"] } }),
    apiCreate("mnt-api2", { Image: BASE, HostConfig: { Binds: [":/x"] } }),
    apiCreate("mnt-api3", { Image: BASE, HostConfig: { Binds: ["mnt-x:/x:ro:z"] } }),
    apiCreate("mnt-api4", { Image: BASE, HostConfig: { Binds: ["mnt-x:/x:"] } }),
    // One part: an anonymous volume through Binds.
    apiCreate("mnt-api5", { Image: BASE, HostConfig: { Binds: ["/only"] } }),
    mounts("mnt-api5"),
    fmt("mnt-api5", "{{json .HostConfig.Binds}} {{json .Config.Volumes}}"),
    rmfv("mnt-api1", "mnt-api2", "mnt-api3", "mnt-api4", "mnt-api5"),
    // "mnt-x:/x:" (an empty mode) was accepted and made the volume.
    volExists("mnt-x"),
    cli("volume", "rm", "-f", "mnt-x"),
  ),
  sc(
    "bind-source-in-daemon-root",
    cli("create", "--name", "mnt-root1", "-v", "/:/host", BASE),
    mounts("mnt-root1"),
    cli("create", "--name", "mnt-root2", "-v", "<ROOT>/volumes:/v", BASE),
    mounts("mnt-root2"),
    cli("create", "--name", "mnt-root3", "-v", "<ROOT>:/r:rshared", BASE),
    mounts("mnt-root3"),
    cli("create", "--name", "mnt-root4", "-v", "<ROOT>:/r:rprivate", BASE),
    cli("create", "--name", "mnt-root5", "-v", "/:/host:private", BASE),
    cli("create", "--name", "mnt-root6", "--mount", "type=bind,src=<ROOT>,dst=/r,bind-propagation=slave", BASE),
    rmf("mnt-root1", "mnt-root2", "mnt-root3", "mnt-root4", "mnt-root5", "mnt-root6"),
  ),
  sc(
    "bind-windows-drive-quirk",
    cli("create", "--name", "mnt-drive", "-v", "x:/foo", BASE),
    fmt("mnt-drive", "{{json .Config.Volumes}} {{json .HostConfig.Binds}}"),
    mounts("mnt-drive"),
    rmfv("mnt-drive"),
  ),
  sc(
    "bind-nested-mountpoint-made-in-host-dir",
    hostDir({ path: "top.txt", content: "top\n" }),
    cli("run", "--rm", "-v", "<HOST>:/a", "-v", "mnt-inner:/a/b/c", BASE, ...sh("echo inner > /a/b/c/f; ls /a; cat /a/top.txt")),
    hostList,
    cli("run", "--rm", "-v", "mnt-inner:/x", BASE, "cat", "/x/f"),
    vrm("mnt-inner"),
  ),
  sc(
    "bind-propagation-needs-shared-source",
    // The host directory is on a private mount here, as on most hosts.
    cli("run", "--rm", "--name", "mnt-prop", "-v", "<HOST>:/x:rshared", BASE, "true"),
    rmf("mnt-prop"),
    cli("run", "--rm", "--name", "mnt-prop", "-v", "<HOST>:/x:slave", BASE, "true"),
    rmf("mnt-prop"),
    cli("run", "--rm", "--name", "mnt-prop", "--mount", "type=bind,src=<HOST>,dst=/x,bind-propagation=shared", BASE, "true"),
    rmf("mnt-prop"),
  ),
  sc(
    "bind-source-cannot-be-created",
    cli("run", "--rm", "--name", "mnt-csf", "-v", "/proc/mnt-missing:/x", BASE, "true"),
    rmf("mnt-csf"),
  ),

  // ---- named volumes (§8, §10, §16) --------------------------------------------------
  sc(
    "volume-named-survives-container",
    cli("run", "--name", "mnt-w", "-v", "mnt-data:/d", BASE, ...sh("echo persisted > /d/f")),
    cli("rm", "mnt-w"),
    cli("run", "--rm", "--name", "mnt-w", "-v", "mnt-data:/d", BASE, "cat", "/d/f"),
    volExists("mnt-data"),
    vrm("mnt-data"),
  ),
  sc(
    "volume-named-created-by-create",
    cli("create", "--name", "mnt-c", "-v", "mnt-newvol:/d", BASE),
    cli("volume", "inspect", "mnt-newvol"),
    mounts("mnt-c"),
    cli("rm", "mnt-c"),
    vrm("mnt-newvol"),
  ),
  sc(
    "volume-mount-labels-and-driver-options",
    cli(
      "run", "--rm", "--mount",
      "type=volume,src=mnt-lv,dst=/d,volume-label=a=b,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=1m",
      BASE, ...sh("grep ' /d ' /proc/mounts"),
    ),
    cli("volume", "inspect", "mnt-lv"),
    // An existing volume: labels and options of the request are ignored.
    cli("run", "--rm", "--mount", "type=volume,src=mnt-lv,dst=/d,volume-label=x=y,volume-opt=o=size=2m", BASE, ...sh("grep ' /d ' /proc/mounts")),
    cli("volume", "inspect", "--format", "{{json .Labels}} {{json .Options}}", "mnt-lv"),
    vrm("mnt-lv"),
  ),
  sc(
    "volume-mount-anonymous-with-label",
    cli("create", "--name", "mnt-anon", "--mount", "type=volume,dst=/anon,volume-label=mnt-scn=anon", BASE),
    mounts("mnt-anon"),
    fmt("mnt-anon", "{{json .HostConfig.Mounts}} {{json .Config.Volumes}}"),
    cli("volume", "ls", "--filter", "label=mnt-scn=anon", "--format", "{{len .Name}} {{.Driver}} {{.Labels}}"),
    cli("rm", "-v", "mnt-anon"),
    cli("volume", "ls", "-q", "--filter", "label=mnt-scn=anon"),
  ),
  sc(
    "volume-read-only-enforced",
    cli("run", "--rm", "-v", "mnt-rov:/v:ro", BASE, "touch", "/v/x"),
    cli("run", "--rm", "--mount", "type=volume,src=mnt-rov,dst=/v,readonly", BASE, "touch", "/v/y"),
    cli("run", "--rm", "-v", "mnt-rov:/v", BASE, "ls", "-A", "/v"),
    vrm("mnt-rov"),
  ),
  sc(
    "volume-local-bind-device",
    hostDir(IN_TXT),
    cli("volume", "create", "-o", "type=none", "-o", "device=<HOST>", "-o", "o=bind", "mnt-lb"),
    cli("run", "--rm", "-v", "mnt-lb:/x", BASE, ...sh("cat /x/in.txt; echo via volume > /x/out.txt")),
    hostList,
    cli("volume", "inspect", "--format", "{{json .Options}} {{.Mountpoint}}", "mnt-lb"),
    vrm("mnt-lb"),
  ),
  sc(
    "volume-local-bind-device-missing",
    cli("volume", "create", "-o", "type=none", "-o", "device=<HOST>/missing", "-o", "o=bind", "mnt-lbm"),
    cli("run", "--rm", "--name", "mnt-lbr", "-v", "mnt-lbm:/x", BASE, "true"),
    rmf("mnt-lbr"),
    vrm("mnt-lbm"),
  ),
  sc(
    "volume-driver-option-errors",
    cli("create", "--name", "mnt-bad", "--mount", "type=volume,src=mnt-bo,dst=/x,volume-opt=foo=bar", BASE),
    cli("create", "--name", "mnt-bad", "--mount", "type=volume,src=mnt-bo,dst=/x,volume-opt=type=tmpfs", BASE),
    cli("create", "--name", "mnt-bad", "--mount", "type=volume,src=mnt-bo,dst=/x,volume-opt=o=size=1m", BASE),
    cli("create", "--name", "mnt-bad", "--mount", "type=volume,src=mnt-bo,dst=/x,volume-opt=size=10m", BASE),
    rmf("mnt-bad"),
    volExists("mnt-bo"),
  ),

  // ---- --mount validation (§10) ------------------------------------------------------
  sc(
    "mount-validation-bind",
    cli("create", "--name", "mnt-bad", "--mount", "type=bind,dst=/x", BASE),
    cli("create", "--name", "mnt-bad", "--mount", "type=bind,src=<HOST>,dst=/x,bind-propagation=bogus", BASE),
    cli("create", "--name", "mnt-bad", "--mount", "type=bind,src=relative,dst=/x", BASE),
    cli("create", "--name", "mnt-bad", "--mount", "type=bind,src=<HOST>,dst=relative", BASE),
    cli("create", "--name", "mnt-bad", "--mount", "type=bind,src=<HOST>,dst=/", BASE),
    rmf("mnt-bad"),
  ),
  sc(
    "mount-validation-volume",
    cli("create", "--name", "mnt-bad", "--mount", "type=volume,dst=relative", BASE),
    cli("create", "--name", "mnt-bad", "--mount", "type=volume,dst=/", BASE),
    cli("create", "--name", "mnt-bad", "--mount", "type=volume,dst=/x,readonly", BASE),
    cli("create", "--name", "mnt-bad", "--mount", "type=volume,src=a,dst=/x", BASE),
    cli("create", "--name", "mnt-bad", "--mount", "type=volume,src=mnt@bad,dst=/x", BASE),
    cli("create", "--name", "mnt-bad", "--mount", "type=volume,src=<HOST>,dst=/x", BASE),
    rmf("mnt-bad"),
  ),
  sc(
    "mount-validation-tmpfs-and-type",
    cli("create", "--name", "mnt-bad", "--mount", "type=tmpfs,src=foo,dst=/x", BASE),
    cli("create", "--name", "mnt-bad", "--mount", "type=tmpfs,dst=relative", BASE),
    cli("create", "--name", "mnt-bad", "--mount", "type=bogus,dst=/x", BASE),
    cli("create", "--name", "mnt-bad", "--mount", "type=npipe,src=/x,dst=/x", BASE),
    rmf("mnt-bad"),
  ),
  sc(
    "mount-consistency-not-validated",
    cli("create", "--name", "mnt-cons", "--mount", "type=bind,src=<HOST>,dst=/x,consistency=bogus", BASE),
    fmt("mnt-cons", "{{json .HostConfig.Mounts}}"),
    mounts("mnt-cons"),
    rmf("mnt-cons"),
  ),
  sc(
    "api-mounts-only-the-api-can-send",
    apiCreate("mnt-api1", { Image: BASE, HostConfig: { Mounts: [{ Type: "volume", Target: "" }] } }),
    apiCreate("mnt-api2", { Image: BASE, HostConfig: { Mounts: [{ Type: "bind", Source: "<HOST>", Target: "/x", VolumeOptions: { NoCopy: true } }] } }),
    apiCreate("mnt-api3", { Image: BASE, HostConfig: { Mounts: [{ Type: "volume", Target: "/x", BindOptions: { Propagation: "rshared" } }] } }),
    apiCreate("mnt-api4", { Image: BASE, HostConfig: { Mounts: [{ Type: "tmpfs", Target: "/x", BindOptions: { Propagation: "rshared" } }] } }),
    apiCreate("mnt-api5", { Image: BASE, HostConfig: { Mounts: [{ Type: "volume", Target: "/x", TmpfsOptions: { SizeBytes: 1048576 } }] } }),
    apiCreate("mnt-api6", { Image: BASE, HostConfig: { Mounts: [{ Type: "bind", Source: "<HOST>", Target: "/x", TmpfsOptions: { Mode: 448 } }] } }),
    apiCreate("mnt-api7", { Image: BASE, HostConfig: { Mounts: [{ Type: "tmpfs", Target: "/x", VolumeOptions: { NoCopy: true } }] } }),
    apiCreate("mnt-api8", { Image: BASE, HostConfig: { Mounts: [{ Type: "", Target: "/x" }] } }),
    mounts("mnt-api5"),
    mounts("mnt-api6"),
    mounts("mnt-api7"),
    rmfv("mnt-api1", "mnt-api2", "mnt-api3", "mnt-api4", "mnt-api5", "mnt-api6", "mnt-api7", "mnt-api8"),
  ),

  // ---- precedence and duplicate mount points (§8) ------------------------------------
  sc(
    "duplicate-mount-points",
    cli("create", "--name", "mnt-dup", "-v", "<HOST>/a:/x", "-v", "<HOST>/b:/x", BASE),
    cli("create", "--name", "mnt-dup", "-v", "<HOST>/a:/x", "-v", "<HOST>/b:/x/", BASE),
    cli("create", "--name", "mnt-dup", "-v", "<HOST>/a:/x/", "--tmpfs", "/x", BASE),
    cli("create", "--name", "mnt-dup", "-v", "<HOST>/a:/x", "--mount", "type=tmpfs,dst=/x/", BASE),
    cli("create", "--name", "mnt-dup", "--mount", "type=tmpfs,dst=/x", "--mount", "type=volume,dst=/x//", BASE),
    cli("create", "--name", "mnt-dup", "--mount", "type=bind,src=<HOST>,dst=/x", "--mount", "type=bind,src=<HOST>,dst=/x", BASE),
    rmf("mnt-dup"),
    hostList,
  ),
  sc(
    "duplicate-leaves-named-volume",
    cli("create", "--name", "mnt-dl", "-v", "mnt-newvol:/x", "--mount", "type=bind,src=<HOST>,dst=/x", BASE),
    volExists("mnt-newvol"),
    cli("volume", "ls", "-q", "--filter", "dangling=true", "--filter", "name=^mnt-newvol$"),
    rmf("mnt-dl"),
    vrm("mnt-newvol"),
  ),
  sc(
    // dockerd 20.10 keeps the anonymous volume made for the failed create (§8 says the
    // failed-create cleanup removes it: not at this point of registration).
    "failed-create-anonymous-volume",
    cli(
      "create", "--name", "mnt-fc",
      "--mount", "type=volume,dst=/anon,volume-label=mnt-scn=failed",
      "--mount", "type=tmpfs,dst=/x",
      "--mount", "type=tmpfs,dst=/x",
      BASE,
    ),
    save("ANON", "volume", "ls", "-q", "--filter", "label=mnt-scn=failed"),
    cli("volume", "ls", "-q", "--filter", "dangling=true", "--filter", "label=mnt-scn=failed"),
    rmf("mnt-fc"),
    cli("volume", "rm", "-f", "<ANON>"),
  ),
  sc(
    "image-volume-overridden",
    cli("create", "--name", "mnt-ov1", "-v", "<HOST>:/data", VOL),
    mounts("mnt-ov1"),
    cli("create", "--name", "mnt-ov2", "-v", "mnt-ovn:/data/", VOL),
    mounts("mnt-ov2"),
    cli("create", "--name", "mnt-ov3", "--mount", "type=tmpfs,dst=/data", VOL),
    mounts("mnt-ov3"),
    cli("create", "--name", "mnt-ov4", "--tmpfs", "/data", VOL),
    mounts("mnt-ov4"),
    cli("create", "--name", "mnt-ov5", "--mount", "type=volume,src=mnt-ovf,dst=/data,volume-nocopy", BASE),
    cli("create", "--name", "mnt-ov6", "--volumes-from", "mnt-ov5", VOL),
    mounts("mnt-ov6"),
    fmt("mnt-ov6", "{{json .Config.Volumes}}"),
    cli("run", "--rm", "--tmpfs", "/data", VOL, "ls", "-A", "/data"),
    // The bind got nothing from the image, the named volume got the image's /data, the
    // volumes-from one nothing (it was created with nocopy and volumes-from never copies).
    hostList,
    cli("run", "--rm", "-v", "mnt-ovn:/x", BASE, "ls", "-A", "/x"),
    cli("run", "--rm", "-v", "mnt-ovf:/x", BASE, "ls", "-A", "/x"),
    rmfv("mnt-ov1", "mnt-ov2", "mnt-ov3", "mnt-ov4", "mnt-ov5", "mnt-ov6"),
    vrm("mnt-ovn", "mnt-ovf"),
  ),
  sc(
    "volumes-from-overridden-by-bind-and-mount",
    cli("create", "--name", "mnt-src", "-v", "mnt-vfo:/s", "-v", "mnt-vfo2:/t", "-v", "mnt-vfo3:/u", BASE),
    cli("create", "--name", "mnt-child", "--volumes-from", "mnt-src", "-v", "<HOST>:/s", "--mount", "type=tmpfs,dst=/t", BASE),
    mounts("mnt-child"),
    rmf("mnt-child", "mnt-src"),
    vrm("mnt-vfo", "mnt-vfo2", "mnt-vfo3"),
  ),
  sc(
    "volumes-from-later-source-wins",
    cli("create", "--name", "mnt-s1", "-v", "mnt-v1:/s", BASE),
    cli("create", "--name", "mnt-s2", "-v", "mnt-v2:/s", BASE),
    cli("create", "--name", "mnt-c", "--volumes-from", "mnt-s1", "--volumes-from", "mnt-s2", BASE),
    volumeNames("mnt-c"),
    cli("create", "--name", "mnt-c2", "--volumes-from", "mnt-s2", "--volumes-from", "mnt-s1", BASE),
    volumeNames("mnt-c2"),
    rmf("mnt-c", "mnt-c2", "mnt-s1", "mnt-s2"),
    vrm("mnt-v1", "mnt-v2"),
  ),
  sc(
    "config-volumes-not-validated",
    apiCreate("mnt-rel", { Image: BASE, Volumes: { relative: {}, "/dup/": {}, "/dup": {} } }),
    mounts("mnt-rel"),
    fmt("mnt-rel", "{{json .Config.Volumes}}"),
    rmfv("mnt-rel"),
  ),

  // ---- tmpfs (§10, §11) --------------------------------------------------------------
  sc(
    "tmpfs-flag-options-in-proc-mounts",
    cli(
      "run", "--rm",
      "--tmpfs", "/t1",
      "--tmpfs", "/t2:size=1m,mode=700",
      "--tmpfs", "/t3:ro",
      "--tmpfs", "/t4:exec,uid=1000",
      "--tmpfs", "/t5:rw,noexec,nr_inodes=100,size=64k",
      BASE, ...sh("grep ' /t[1-5] ' /proc/mounts | sort -k2"),
    ),
  ),
  sc(
    "tmpfs-mount-options-in-proc-mounts",
    cli(
      "run", "--rm",
      "--mount", "type=tmpfs,dst=/m1",
      "--mount", "type=tmpfs,dst=/m2,tmpfs-size=2m,tmpfs-mode=1770",
      "--mount", "type=tmpfs,dst=/m3,readonly",
      "--mount", "type=tmpfs,dst=/m4,tmpfs-size=1500,tmpfs-mode=0700",
      BASE, ...sh("grep ' /m[1-4] ' /proc/mounts | sort -k2"),
    ),
    cli("create", "--name", "mnt-tm", "--mount", "type=tmpfs,dst=/m2,tmpfs-size=2m,tmpfs-mode=1770", "--mount", "type=tmpfs,dst=/m3,readonly", BASE),
    mounts("mnt-tm"),
    fmt("mnt-tm", "{{json .HostConfig.Mounts}} {{json .HostConfig.Tmpfs}}"),
    rmf("mnt-tm"),
  ),
  sc(
    "tmpfs-empty-and-gone-after-exit",
    cli(
      "run", "--name", "mnt-te", "--tmpfs", "/t", "--mount", "type=tmpfs,dst=/m", BASE,
      ...sh("ls -A /t /m; echo x > /t/f; echo y > /m/f; ls /t /m"),
    ),
    cli("start", "-a", "mnt-te"),
    cli("run", "--rm", "--tmpfs", "/etc/conf", BASE, "ls", "-A", "/etc/conf"),
    rmf("mnt-te"),
  ),
  sc(
    "tmpfs-flag-not-a-mount-point",
    cli("create", "--name", "mnt-tf", "--tmpfs", "/mnt-tf-t:size=1m", BASE),
    mounts("mnt-tf"),
    fmt("mnt-tf", "{{json .HostConfig.Tmpfs}}"),
    cli("ps", "-a", "--format", "{{.Names}}", "--filter", "volume=/mnt-tf-t"),
    rmf("mnt-tf"),
  ),
  sc(
    "tmpfs-invalid",
    cli("run", "--rm", "--name", "mnt-ti", "--tmpfs", "/t:bogus", BASE, "true"),
    rmf("mnt-ti"),
    cli("create", "--name", "mnt-ti", "--tmpfs", "relative", BASE),
    cli("create", "--name", "mnt-ti", "--tmpfs", "/", BASE),
    cli("create", "--name", "mnt-ti", "--tmpfs", "/t:size=1m:extra", BASE),
    rmf("mnt-ti"),
  ),
  sc(
    "tmpfs-flag-shadows-mount-at-same-path",
    cli(
      "create", "--name", "mnt-ts", "--tmpfs", "/x", "--mount", "type=volume,src=mnt-shadow,dst=/x", BASE,
      ...sh("grep -c ' /x ' /proc/mounts; grep ' /x ' /proc/mounts | cut -d' ' -f1,3"),
    ),
    mounts("mnt-ts"),
    cli("start", "-a", "mnt-ts"),
    cli("volume", "ls", "-q", "--filter", "dangling=false", "--filter", "name=^mnt-shadow$"),
    rmf("mnt-ts"),
    vrm("mnt-shadow"),
  ),

  // ---- image VOLUMEs and copy-up (§12, §14) ------------------------------------------
  sc(
    "image-volume-anonymous-copy-up",
    cli(
      "run", "--name", "mnt-iv", VOL,
      ...sh(`cd /data && ${STAT} . file.txt hard run.sh link sub sub/nested && readlink link && cat file.txt sub/nested && ./run.sh`),
    ),
    fmt("mnt-iv", "{{json .Config.Volumes}} {{json .HostConfig.Binds}}"),
    mounts("mnt-iv"),
    rmfv("mnt-iv"),
  ),
  sc(
    "image-volume-merged-with-cli-anonymous",
    cli("create", "--name", "mnt-ivm", "-v", "/anon", "-v", "/anon2/", VOL),
    fmt("mnt-ivm", "{{json .Config.Volumes}} {{json .HostConfig.Binds}}"),
    mounts("mnt-ivm"),
    rmfv("mnt-ivm"),
  ),
  sc(
    "image-volume-over-file",
    cli("create", "--name", "mnt-ivf", VOLFILE),
    rmf("mnt-ivf"),
    cli("create", "--name", "mnt-ivf", "-v", "/afile", BASE),
    rmf("mnt-ivf"),
  ),
  sc(
    "copy-up-named-volume-keeps-modes-owners-links",
    cli("run", "--rm", "-v", "mnt-cu:/data", BASE, "true"),
    cli(
      "run", "--rm", "-v", "mnt-cu:/x", BASE,
      ...sh(`cd /x && ${STAT} . file.txt hard run.sh link sub sub/nested && readlink link && cat sub/nested`),
    ),
    cli("run", "--rm", "-v", "mnt-www:/srv/www", BASE, "true"),
    cli("run", "--rm", "-v", "mnt-www:/x", BASE, ...sh(`${STAT} /x /x/index.html`)),
    vrm("mnt-cu", "mnt-www"),
  ),
  sc(
    "copy-up-non-empty-volume-not-overwritten",
    cli("volume", "create", "mnt-ne"),
    cli("run", "--rm", "-v", "mnt-ne:/x", BASE, ...sh("echo mine > /x/own")),
    cli("run", "--rm", "-v", "mnt-ne:/data", BASE, ...sh("ls -A /data; cat /data/own")),
    vrm("mnt-ne"),
  ),
  sc(
    "copy-up-nocopy-then-copy",
    cli("run", "--rm", "-v", "mnt-nc:/data:nocopy", BASE, "ls", "-A", "/data"),
    cli("run", "--rm", "--mount", "type=volume,src=mnt-nc,dst=/data,volume-nocopy", BASE, "ls", "-A", "/data"),
    cli("run", "--rm", "--mount", "type=volume,src=mnt-nc,dst=/data,volume-nocopy=false", BASE, "ls", "-A", "/data"),
    cli("run", "--rm", "-v", "mnt-nc:/etc/conf", BASE, "ls", "-A", "/etc/conf"),
    vrm("mnt-nc"),
  ),
  sc(
    "copy-up-read-only-volume-populated",
    cli("run", "--rm", "-v", "mnt-rop:/etc/conf:ro", BASE, ...sh("cat /etc/conf/app.conf; touch /etc/conf/x")),
    cli("run", "--rm", "--mount", "type=volume,src=mnt-rop2,dst=/etc/conf,readonly", BASE, "cat", "/etc/conf/app.conf"),
    vrm("mnt-rop", "mnt-rop2"),
  ),
  sc(
    "copy-up-at-create-not-start",
    cli("create", "--name", "mnt-cc", "-v", "mnt-cc:/etc/conf", BASE),
    cli("run", "--rm", "-v", "mnt-cc:/x", BASE, "ls", "-A", "/x"),
    cli("rm", "mnt-cc"),
    vrm("mnt-cc"),
  ),
  sc(
    "copy-up-never-into-binds",
    cli("run", "--rm", "-v", "<HOST>:/etc/conf", BASE, "ls", "-A", "/etc/conf"),
    cli("run", "--rm", "--mount", "type=bind,src=<HOST>,dst=/data", BASE, "ls", "-A", "/data"),
    hostList,
  ),
  sc(
    "copy-up-never-for-volumes-from",
    cli("create", "--name", "mnt-vfs", "--mount", "type=volume,src=mnt-vfc,dst=/etc/conf,volume-nocopy", BASE),
    cli("run", "--rm", "--volumes-from", "mnt-vfs", BASE, "ls", "-A", "/etc/conf"),
    rmf("mnt-vfs"),
    vrm("mnt-vfc"),
  ),
  sc(
    "copy-up-destination-missing-in-image",
    cli("run", "--rm", "-v", "mnt-md:/nonexistent/dir", BASE, ...sh(`ls -A /nonexistent/dir; ${STAT} /nonexistent /nonexistent/dir`)),
    vrm("mnt-md"),
  ),
  sc(
    "copy-up-into-tmpfs-backed-volume-is-lost",
    cli("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "mnt-tv"),
    cli("run", "--rm", "-v", "mnt-tv:/etc/conf", BASE, "ls", "-A", "/etc/conf"),
    vrm("mnt-tv"),
  ),
  sc(
    "copy-up-named-volume-onto-file",
    cli("create", "--name", "mnt-of", "-v", "mnt-of:/afile", BASE),
    rmf("mnt-of"),
    volExists("mnt-of"),
    cli("volume", "rm", "-f", "mnt-of"),
  ),

  // ---- --volumes-from (§13, §16) -----------------------------------------------------
  sc(
    "volumes-from-shares-data",
    cli("create", "--name", "mnt-vsrc", "-v", "mnt-shared:/s", "-v", "/anon", BASE),
    cli("run", "--rm", "--volumes-from", "mnt-vsrc", BASE, ...sh("echo hi > /s/f; echo a > /anon/f")),
    cli("run", "--rm", "-v", "mnt-shared:/x", BASE, "cat", "/x/f"),
    cli("run", "--rm", "--volumes-from", "mnt-vsrc", BASE, "cat", "/anon/f"),
    cli("create", "--name", "mnt-vchild", "--volumes-from", "mnt-vsrc", BASE),
    mounts("mnt-vchild"),
    fmt("mnt-vchild", "{{json .HostConfig.VolumesFrom}} {{json .Config.Volumes}}"),
    rmfv("mnt-vchild", "mnt-vsrc"),
    vrm("mnt-shared"),
  ),
  sc(
    "volumes-from-read-only",
    cli("run", "--name", "mnt-vsrc", "-v", "mnt-vro:/s", BASE, ...sh("echo src > /s/f")),
    cli("run", "--rm", "--volumes-from", "mnt-vsrc:ro", BASE, ...sh("cat /s/f; touch /s/x")),
    cli("create", "--name", "mnt-vchild", "--volumes-from", "mnt-vsrc:ro", BASE),
    mounts("mnt-vchild"),
    rmf("mnt-vchild", "mnt-vsrc"),
    vrm("mnt-vro"),
  ),
  sc(
    "volumes-from-rw-cannot-widen-ro",
    cli("create", "--name", "mnt-vsrc", "-v", "mnt-vro:/s:ro", "-v", "<HOST>:/b:ro", BASE),
    cli("create", "--name", "mnt-vchild", "--volumes-from", "mnt-vsrc:rw", BASE),
    mounts("mnt-vchild"),
    cli("run", "--rm", "--volumes-from", "mnt-vsrc:rw", BASE, ...sh("touch /s/x; touch /b/x")),
    rmf("mnt-vchild", "mnt-vsrc"),
    vrm("mnt-vro"),
  ),
  sc(
    "volumes-from-copies-binds-not-tmpfs-flag",
    cli("create", "--name", "mnt-vsrc", "-v", "<HOST>:/b", "-v", "<HOST>/c:/c:ro,rslave", "--tmpfs", "/t", BASE),
    cli("create", "--name", "mnt-vchild", "--volumes-from", "mnt-vsrc:z", BASE),
    mounts("mnt-vchild"),
    fmt("mnt-vchild", "{{json .HostConfig.Tmpfs}} {{json .HostConfig.VolumesFrom}}"),
    rmf("mnt-vchild", "mnt-vsrc"),
  ),
  sc(
    "volumes-from-invalid",
    cli("create", "--name", "mnt-vsrc", BASE),
    cli("create", "--name", "mnt-vc", "--volumes-from", "mnt-vsrc:bogus", BASE),
    cli("create", "--name", "mnt-vc", "--volumes-from", "mnt-vsrc:rshared", BASE),
    cli("create", "--name", "mnt-vc", "--volumes-from", "mnt-vsrc:nocopy", BASE),
    cli("create", "--name", "mnt-vc", "--volumes-from", "mnt-vsrc:ro,rw", BASE),
    cli("create", "--name", "mnt-vc", "--volumes-from", "", BASE),
    cli("create", "--name", "mnt-vc", "--volumes-from", "mnt-nosuch", BASE),
    rmf("mnt-vsrc", "mnt-vc"),
  ),
  sc(
    "volumes-from-source-with-tmpfs-mount",
    cli("create", "--name", "mnt-vsrc", "--mount", "type=tmpfs,dst=/t", BASE),
    // A 404, so the CLI would try to pull the image: the raw request shows the answer.
    apiCreate("mnt-vc", { Image: BASE, HostConfig: { VolumesFrom: ["mnt-vsrc"] } }),
    rmf("mnt-vsrc", "mnt-vc"),
  ),
  sc(
    // dockerd 20.10 (all versions up to master) takes a reference through --volumes-from only
    // for mount points without a Source, i.e. anonymous volumes from Config.Volumes; a named
    // volume from -v/--mount is inherited as its path, unreferenced: it can be removed while
    // the child still has it.
    "volumes-from-named-volume-unreferenced",
    cli("create", "--name", "mnt-vsrc", "-v", "mnt-vfr:/d", "--mount", "type=volume,src=mnt-vfr2,dst=/m", BASE),
    cli("create", "--name", "mnt-vchild", "--volumes-from", "mnt-vsrc", BASE),
    cli("volume", "rm", "mnt-vfr", "mnt-vfr2"),
    cli("rm", "mnt-vsrc"),
    sortedLines("volume", "ls", "-q", "--filter", "dangling=true", "--filter", "name=^mnt-vfr"),
    mounts("mnt-vchild"),
    cli("volume", "rm", "mnt-vfr", "mnt-vfr2"),
    cli("rm", "-f", "mnt-vchild"),
    cli("volume", "rm", "-f", "mnt-vfr", "mnt-vfr2"),
  ),
  sc(
    "volumes-from-anonymous-kept-while-referenced",
    cli("create", "--name", "mnt-vsrc", "-v", "/anon", BASE),
    save("ANON", "container", "inspect", "--format", "{{range .Mounts}}{{.Name}}{{end}}", "mnt-vsrc"),
    cli("create", "--name", "mnt-vchild", "--volumes-from", "mnt-vsrc", BASE),
    cli("rm", "-v", "mnt-vsrc"),
    cli("volume", "ls", "-q", "--filter", "dangling=false", "--filter", "name=^<ANON>$"),
    cli("rm", "-v", "mnt-vchild"),
    cli("volume", "inspect", "--format", "{{.Name}}", "<ANON>"),
    // Only when a step above failed is there anything left.
    cli("volume", "rm", "-f", "<ANON>"),
  ),
  sc(
    "volumes-from-hand-off-without-v",
    cli("run", "--name", "mnt-old", "-v", "/anon", BASE, ...sh("echo keep > /anon/f")),
    save("ANON", "container", "inspect", "--format", "{{range .Mounts}}{{.Name}}{{end}}", "mnt-old"),
    cli("create", "--name", "mnt-new", "--volumes-from", "mnt-old", BASE),
    cli("rm", "mnt-old"),
    cli("run", "--rm", "--volumes-from", "mnt-new", BASE, "cat", "/anon/f"),
    cli("rm", "-v", "mnt-new"),
    cli("volume", "inspect", "--format", "{{.Name}}", "<ANON>"),
    cli("volume", "rm", "-f", "<ANON>"),
  ),

  // ---- read-only rootfs, start-time setup (§15) --------------------------------------
  sc(
    "read-only-rootfs-writable-volume",
    cli(
      "run", "--rm", "--read-only", "-v", "mnt-rw:/v", "--tmpfs", "/t", BASE,
      ...sh("touch /v/x && touch /t/y && echo ok; touch /nope"),
    ),
    cli("run", "--rm", "-v", "mnt-rw:/v", BASE, "ls", "/v"),
    vrm("mnt-rw"),
  ),
  sc(
    "workdir-inside-volume-created",
    cli("run", "--rm", "-w", "/v/sub/dir", "-v", "mnt-wd:/v", BASE, "pwd"),
    cli("run", "--rm", "-v", "mnt-wd:/x", BASE, "find", "/x"),
    vrm("mnt-wd"),
  ),
  sc(
    "nested-volumes-any-flag-order",
    cli("run", "--rm", "--mount", "type=volume,src=mnt-in,dst=/a/b", "--mount", "type=volume,src=mnt-out,dst=/a", BASE, ...sh("echo deep > /a/b/f; ls /a")),
    cli("run", "--rm", "-v", "mnt-out:/x", BASE, "ls", "-A", "/x"),
    cli("run", "--rm", "-v", "mnt-in:/x", BASE, "ls", "-A", "/x"),
    vrm("mnt-in", "mnt-out"),
  ),

  // ---- removal (§4, §16) -------------------------------------------------------------
  sc(
    "rm-without-v-leaves-anonymous-dangling",
    cli("create", "--name", "mnt-rmk", VOL),
    save("ANON", "container", "inspect", "--format", "{{range .Mounts}}{{.Name}}{{end}}", "mnt-rmk"),
    cli("volume", "ls", "-q", "--filter", "dangling=false", "--filter", "name=^<ANON>$"),
    cli("rm", "mnt-rmk"),
    cli("volume", "ls", "-q", "--filter", "dangling=true", "--filter", "name=^<ANON>$"),
    cli("volume", "rm", "<ANON>"),
  ),
  sc(
    "rm-v-removes-anonymous-keeps-named",
    cli("create", "--name", "mnt-rmv", "-v", "mnt-keep:/k", VOL),
    save("ANON", "container", "inspect", "--format", "{{range .Mounts}}{{if eq .Destination \"/data\"}}{{.Name}}{{end}}{{end}}", "mnt-rmv"),
    cli("rm", "-v", "mnt-rmv"),
    cli("volume", "inspect", "--format", "{{.Name}}", "<ANON>"),
    volExists("mnt-keep"),
    vrm("mnt-keep"),
    cli("volume", "rm", "-f", "<ANON>"),
  ),
  sc(
    "run-rm-removes-anonymous-keeps-named",
    cli(
      "run", "--rm", "--name", "mnt-rr", "-v", "mnt-keep:/k", "--mount", "type=volume,dst=/anon,volume-label=mnt-scn=runrm", BASE, "true",
    ),
    cli("volume", "ls", "-q", "--filter", "label=mnt-scn=runrm"),
    volExists("mnt-keep"),
    vrm("mnt-keep"),
    // The image's VOLUME: the container removes itself once `sleep` ends; the wait follows it.
    cli("run", "-d", "--rm", "--name", "mnt-rrd", VOL, "sleep", "2"),
    save("ANON", "container", "inspect", "--format", "{{range .Mounts}}{{.Name}}{{end}}", "mnt-rrd"),
    api("POST", `/v${V}/containers/mnt-rrd/wait?condition=removed`),
    cli("volume", "inspect", "--format", "{{.Name}}", "<ANON>"),
    rmf("mnt-rrd"),
    cli("volume", "rm", "-f", "<ANON>"),
  ),
  sc(
    "run-rm-with-restart-policy-refused",
    cli("run", "--rm", "--name", "mnt-rp", "--restart", "always", BASE, "true"),
    apiCreate("mnt-rp", { Image: BASE, HostConfig: { AutoRemove: true, RestartPolicy: { Name: "always" } } }),
    apiCreate("mnt-rp", { Image: BASE, HostConfig: { AutoRemove: true, RestartPolicy: { Name: "on-failure", MaximumRetryCount: 1 } } }),
    rmf("mnt-rp"),
  ),

  // ---- inspect, ps, volume rm / ls (§6, §17) -----------------------------------------
  sc(
    "inspect-mounts-all-kinds",
    hostDir({ path: "b", dir: true }),
    cli(
      "create", "--name", "mnt-all",
      "-v", "mnt-n:/n",
      "-v", "<HOST>/b:/b:ro",
      "-v", "/anon",
      "--mount", "type=volume,src=mnt-n2,dst=/n2,volume-label=k=v",
      "--mount", "type=bind,src=<HOST>/b,dst=/b2,bind-propagation=rslave",
      "--mount", "type=tmpfs,dst=/t,tmpfs-size=1m",
      "--tmpfs", "/tt:size=64k",
      VOL,
    ),
    mounts("mnt-all"),
    fmt("mnt-all", "{{json .HostConfig.Mounts}}"),
    fmt("mnt-all", "{{json .HostConfig.Tmpfs}} {{json .Config.Volumes}}"),
    sortedLines("container", "inspect", "--format", "{{range .HostConfig.Binds}}{{println .}}{{end}}", "mnt-all"),
    rmfv("mnt-all"),
    vrm("mnt-n", "mnt-n2"),
  ),
  sc(
    "ps-filter-volume",
    hostDir({ path: "b", dir: true }),
    cli("create", "--name", "mnt-pf1", "-v", "mnt-pfv:/mnt-pf-d", BASE),
    cli("create", "--name", "mnt-pf2", "-v", "<HOST>/b:/mnt-pf-b", BASE),
    cli("create", "--name", "mnt-pf3", "--tmpfs", "/mnt-pf-t", BASE),
    cli("create", "--name", "mnt-pf4", "--mount", "type=volume,src=mnt-pfv2,dst=/mnt-pf-m", BASE),
    cli("ps", "-a", "--format", "{{.Names}}", "--filter", "volume=mnt-pfv"),
    cli("ps", "-a", "--format", "{{.Names}}", "--filter", "volume=/mnt-pf-d"),
    cli("ps", "-a", "--format", "{{.Names}}", "--filter", "volume=<HOST>/b"),
    cli("ps", "-a", "--format", "{{.Names}}", "--filter", "volume=/mnt-pf-b"),
    cli("ps", "-a", "--format", "{{.Names}}", "--filter", "volume=/mnt-pf-t"),
    cli("ps", "-a", "--format", "{{.Names}}", "--filter", "volume=mnt-pfv2"),
    cli("ps", "-a", "--format", "{{.Names}}", "--filter", "volume=mnt-pf"),
    sortedLines("ps", "-a", "--format", "{{.Names}}", "--filter", "volume=mnt-pfv", "--filter", "volume=mnt-pfv2"),
    cli("ps", "-a", "--no-trunc", "--format", "{{.Names}} {{.Mounts}}", "--filter", "name=^mnt-pf1$"),
    rmf("mnt-pf1", "mnt-pf2", "mnt-pf3", "mnt-pf4"),
    vrm("mnt-pfv", "mnt-pfv2"),
  ),
  sc(
    "volume-rm-in-use",
    cli("create", "--name", "mnt-iu1", "-v", "mnt-iu:/d", BASE),
    cli("volume", "rm", "mnt-iu"),
    cli("volume", "rm", "-f", "mnt-iu"),
    api("DELETE", `/v${V}/volumes/mnt-iu`),
    cli("create", "--name", "mnt-iu2", "-v", "mnt-iu:/e", BASE),
    cli("volume", "rm", "mnt-iu"),
    cli("volume", "ls", "-q", "--filter", "dangling=false", "--filter", "name=^mnt-iu$"),
    cli("rm", "mnt-iu1", "mnt-iu2"),
    cli("volume", "ls", "-q", "--filter", "dangling=true", "--filter", "name=^mnt-iu$"),
    vrm("mnt-iu"),
  ),
  sc(
    "volume-ls-dangling",
    cli("create", "--name", "mnt-dlc", "-v", "mnt-dl1:/d", BASE),
    cli("volume", "create", "mnt-dl2"),
    cli("volume", "ls", "-q", "--filter", "dangling=true", "--filter", "name=^mnt-dl"),
    cli("volume", "ls", "-q", "--filter", "dangling=false", "--filter", "name=^mnt-dl"),
    cli("stop", "mnt-dlc"),
    cli("volume", "ls", "-q", "--filter", "dangling=false", "--filter", "name=^mnt-dl"),
    cli("rm", "mnt-dlc"),
    cli("volume", "ls", "-q", "--filter", "dangling=true", "--filter", "name=^mnt-dl"),
    vrm("mnt-dl1", "mnt-dl2"),
  ),
];
