// `moor image bootstrap`: debian:bookworm built with debootstrap from the mirror apt uses,
// cached in /var/lib/moor/bootstrap, imported into a test engine and run. Needs root,
// debootstrap and a built binary; the first run on a machine also needs the Debian mirror
// (about a minute), later ones reuse the cached tarball.
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { test } from "node:test";
import { ensureDebianImage } from "./support/debian-image.ts";
import { moor, moorBin, run, useEngine } from "./support/engine.ts";

const engine = useEngine();
const cachedTarball = "/var/lib/moor/bootstrap/debian-bookworm-amd64.tar";
const imageId = /^sha256:[0-9a-f]{64}$/;

/** The last line of the output: the image ID, also without --quiet. */
function lastLine(text: string): string {
  return text.trimEnd().split("\n").at(-1) ?? "";
}

test("bootstrap imports debian:bookworm and debian:12, shaped like the official image", { skip: process.arch !== "x64" && "the cache name below is amd64's" }, async () => {
  const started = Date.now();
  const result = await moor(engine(), ["image", "bootstrap"]);
  assert.equal(result.code, 0, result.stderr);
  const id = lastLine(result.stdout);
  assert.match(id, imageId);
  // Built now or earlier (the cache outlives test runs): either way it names where from.
  assert.match(result.stdout, /^(Bootstrapping debian bookworm from https?:\/\/\S+ \(this takes a few minutes\)\.\.\.|Using the cached root filesystem \/var\/lib\/moor\/bootstrap\/debian-bookworm-amd64\.tar )/);
  assert.match(result.stdout, /\nImporting \/var\/lib\/moor\/bootstrap\/debian-bookworm-amd64\.tar as debian:bookworm\.\.\.\nTagged debian:bookworm, debian:12\n/);
  console.log(`# bootstrap took ${Date.now() - started} ms (${result.stdout.startsWith("Bootstrapping") ? "built" : "cached"})`);
  assert.ok(statSync(cachedTarball).isFile(), "the root filesystem tarball is cached");

  const inspected = JSON.parse((await moor(engine(), ["image", "inspect", "debian:bookworm", "debian:12"])).stdout) as Array<Record<string, any>>;
  assert.deepEqual(
    inspected.map((image) => image.Id),
    [id, id],
    "both tags name the imported image",
  );
  assert.deepEqual(inspected[0].Config.Cmd, ["bash"]);
  assert.deepEqual(inspected[0].Config.Env, ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
  assert.equal(inspected[0].RootFS.Layers.length, 1);

  const release = await moor(engine(), ["run", "--rm", "debian:bookworm", "cat", "/etc/debian_version"]);
  assert.equal(release.code, 0, release.stderr);
  assert.match(release.stdout, /^12\.\d+\n$/);
  const apt = await moor(engine(), ["run", "--rm", "debian:12", "apt-get", "--version"]);
  assert.equal(apt.code, 0, apt.stderr);
  assert.match(apt.stdout, /^apt 2\.\d+\S* \(amd64\)\n/);

  // What debuerreotype leaves in the official image: apt's own sources in deb822 form with the
  // security suite, no indexes or caches, nothing of the build host, no services in builds.
  const shape = await moor(engine(), [
    "run",
    "--rm",
    "debian:bookworm",
    "bash",
    "-c",
    "cat /etc/apt/sources.list.d/debian.sources; echo ---; test -e /etc/apt/sources.list && echo has-sources.list; ls -A /var/lib/apt/lists /var/cache/apt /var/log/dpkg.log 2>&1; /usr/sbin/policy-rc.d; echo policy=$?; ls /etc/apt/apt.conf.d",
  ]);
  assert.equal(shape.code, 0, shape.stderr);
  const [sources, rest] = shape.stdout.split("---\n");
  assert.match(sources, /^Types: deb\nURIs: \S+\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: \/usr\/share\/keyrings\/debian-archive-keyring\.gpg\n\nTypes: deb\nURIs: \S+\nSuites: bookworm-security\nComponents: main\nSigned-By: \/usr\/share\/keyrings\/debian-archive-keyring\.gpg\n$/);
  assert.equal(
    rest,
    "ls: cannot access '/var/log/dpkg.log': No such file or directory\n/var/cache/apt:\n\n/var/lib/apt/lists:\npolicy=101\n01autoremove\n70debconf\ndocker-autoremove-suggests\ndocker-clean\ndocker-gzip-indexes\ndocker-no-languages\n",
  );
});

test("a second bootstrap reuses the cached tarball and the imported image", { skip: process.arch !== "x64" && "the cache name below is amd64's" }, async () => {
  const first = await ensureDebianImage(engine());
  const builtAt = statSync(cachedTarball).mtimeMs;
  const started = Date.now();
  const again = await moor(engine(), ["image", "bootstrap"]);
  assert.equal(again.code, 0, again.stderr);
  console.log(`# cached bootstrap took ${Date.now() - started} ms`);
  assert.equal(
    again.stdout,
    `Using the cached root filesystem ${cachedTarball} (built ${new Date(builtAt).toISOString().replace(/\.\d+Z$/, "Z")}; --refresh rebuilds it)\n` +
      `debian:bookworm is up to date with ${cachedTarball}\nTagged debian:bookworm, debian:12\n${first}\n`,
  );
  assert.equal(statSync(cachedTarball).mtimeMs, builtAt, "the cached tarball was not rewritten");
  const images = await moor(engine(), ["images", "--format", "{{.Repository}}:{{.Tag}}"]);
  assert.deepEqual(images.stdout.split("\n").filter(Boolean).sort(), ["debian:12", "debian:bookworm"], "no dangling image from a re-import");
  const quiet = await moor(engine(), ["image", "bootstrap", "-q"]);
  assert.deepEqual(quiet, { code: 0, stdout: `${first}\n`, stderr: "" });
});

test("bootstrap refuses without root, and without debootstrap says how to install it", async () => {
  const notRoot = await run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", moorBin, "image", "bootstrap"], {
    env: { MOOR_HOST: engine().host },
  });
  assert.deepEqual(notRoot, {
    code: 1,
    stdout: "",
    stderr:
      "moor image bootstrap must run as root: debootstrap creates device nodes and files owned by other users, and the cache lives in /var/lib/moor/bootstrap (try: sudo moor image bootstrap)\n",
  });

  // debootstrap hidden in a private mount namespace (unshare's default propagation is private,
  // so the host keeps its debootstrap); --refresh goes past the cache to where it is needed.
  const located = await run("sh", ["-c", "PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin command -v debootstrap"]);
  assert.equal(located.code, 0, "debootstrap is installed on this machine");
  const hidden = await run(
    "unshare",
    ["--mount", "sh", "-c", 'mount --bind /dev/null "$1" && shift && exec "$@"', "sh", located.stdout.trim(), moorBin, "image", "bootstrap", "--refresh"],
    { env: { MOOR_HOST: engine().host } },
  );
  assert.deepEqual(hidden, {
    code: 1,
    stdout: "",
    stderr: "debootstrap is not installed: install it with 'apt-get install debootstrap', then run 'moor image bootstrap' again\n",
  });

  const badMirror = await moor(engine(), ["image", "bootstrap", "--mirror", "deb.debian.org/debian"]);
  assert.deepEqual(badMirror, { code: 1, stdout: "", stderr: 'invalid mirror "deb.debian.org/debian": expected an http://, https://, ftp:// or file: URL\n' });
});
