// The images the mount scenarios (./mount-scenarios.ts) run: the same tarball, built
// deterministically from scripts/make-test-image.sh plus a fixed set of files, imported under
// the same names into whichever engine is under test (the reference dockerd when recording,
// moor when replaying), so that both engines see byte-identical image content.
//
//   mnt-base:test     busybox + the files below, CMD ["/bin/sh"]
//   mnt-vol:test      the same, VOLUME ["/data"]
//   mnt-volfile:test  the same, VOLUME ["/afile"] (a regular file in the image)
//
// Extra files (all mtimes 0; owners numeric):
//   /data            0750 1000:1000
//   /data/file.txt   0640 1000:1000 "image data\n"   (link count 2: /data/hard is a hard link)
//   /data/run.sh     0755 0:0       "#!/bin/sh\necho run\n"
//   /data/link       symlink -> file.txt
//   /data/sub        0700 1000:1000
//   /data/sub/nested 0600 1000:1000 "nested\n"
//   /etc/conf        0755 0:0, /etc/conf/app.conf 0644 "key=value\n"
//   /srv/www         0750 0:1000, /srv/www/index.html 0644 "index\n"
//   /afile           0644 0:0 "a file\n"
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const MOUNT_IMAGES: Record<string, string[]> = {
  "mnt-base:test": ['CMD ["/bin/sh"]'],
  "mnt-vol:test": ['CMD ["/bin/sh"]', 'VOLUME ["/data"]'],
  "mnt-volfile:test": ['CMD ["/bin/sh"]', 'VOLUME ["/afile"]'],
};

type Entry =
  | { path: string; dir: true; mode: number; uid?: number; gid?: number }
  | { path: string; content: string; mode: number; uid?: number; gid?: number }
  | { path: string; symlinkTo: string }
  | { path: string; hardlinkTo: string };

const EXTRA: Entry[] = [
  { path: "data", dir: true, mode: 0o750, uid: 1000, gid: 1000 },
  { path: "data/file.txt", content: "image data\n", mode: 0o640, uid: 1000, gid: 1000 },
  { path: "data/hard", hardlinkTo: "data/file.txt" },
  { path: "data/run.sh", content: "#!/bin/sh\necho run\n", mode: 0o755 },
  { path: "data/link", symlinkTo: "file.txt" },
  { path: "data/sub", dir: true, mode: 0o700, uid: 1000, gid: 1000 },
  { path: "data/sub/nested", content: "nested\n", mode: 0o600, uid: 1000, gid: 1000 },
  { path: "etc/conf", dir: true, mode: 0o755 },
  { path: "etc/conf/app.conf", content: "key=value\n", mode: 0o644 },
  { path: "srv", dir: true, mode: 0o755 },
  { path: "srv/www", dir: true, mode: 0o750, uid: 0, gid: 1000 },
  { path: "srv/www/index.html", content: "index\n", mode: 0o644 },
  { path: "afile", content: "a file\n", mode: 0o644 },
];

/** Builds the image tarball (needs root for the chowns and busybox-static) at `out`. */
export function buildMountImageTarball(out: string): void {
  const work = mkdtempSync(join(tmpdir(), "moor-mount-image-"));
  try {
    const base = join(work, "base.tar");
    execFileSync("bash", [resolve(import.meta.dirname, "../../scripts/make-test-image.sh"), base]);
    const root = join(work, "root");
    mkdirSync(root);
    execFileSync("tar", ["-xf", base, "-C", root]);
    for (const e of EXTRA) {
      const p = join(root, e.path);
      if ("dir" in e) mkdirSync(p, { recursive: true });
      else if ("content" in e) writeFileSync(p, e.content);
      else if ("symlinkTo" in e) symlinkSync(e.symlinkTo, p);
      else linkSync(join(root, e.hardlinkTo), p);
      if ("mode" in e) {
        // chmod after writing: the umask must not change the modes under test.
        chmodSync(p, e.mode);
        chownSync(p, e.uid ?? 0, e.gid ?? 0);
      }
    }
    // Fixed times and sorted names: the same busybox gives the same layer on every engine.
    execFileSync("tar", ["--numeric-owner", "--mtime=@0", "--sort=name", "-C", root, "-cf", out, "."]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Imports the mount images into the engine at `host` with the docker CLI (env MOOR_DOCKER_CLI
 * overrides the binary). Throws with the CLI's output when an import fails.
 */
export function createMountImages(host: string): void {
  const work = mkdtempSync(join(tmpdir(), "moor-mount-images-"));
  try {
    const tarball = join(work, "mnt.tar");
    buildMountImageTarball(tarball);
    for (const [name, changes] of Object.entries(MOUNT_IMAGES)) {
      const args = ["-H", host, "import"];
      for (const change of changes) args.push("-c", change);
      args.push(tarball, name);
      const r = spawnSync(process.env.MOOR_DOCKER_CLI ?? "docker", args, {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", DOCKER_CONFIG: work, HOME: work },
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`docker import ${name} failed (${r.status}): ${r.stderr}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Removes the mount images from the engine at `host` (errors ignored: they may be gone). */
export function removeMountImages(host: string): void {
  const work = mkdtempSync(join(tmpdir(), "moor-mount-images-"));
  try {
    spawnSync(process.env.MOOR_DOCKER_CLI ?? "docker", ["-H", host, "rmi", ...Object.keys(MOUNT_IMAGES)], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", DOCKER_CONFIG: work, HOME: work },
      encoding: "utf8",
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
