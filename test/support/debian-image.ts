// debian:bookworm (and debian:12) in a test engine, for tests whose images start FROM it.
// moor cannot pull, so the image comes from `moor image bootstrap`: debootstrap from the Debian
// mirror apt uses, cached in /var/lib/moor/bootstrap. The first run on a machine needs that
// mirror and takes about a minute; later runs only import the cached tarball (a few seconds).
import { moor } from "./engine.ts";

/** Bootstraps (cached) and imports debian:bookworm into the engine; resolves to the image ID. */
export async function ensureDebianImage(engine: { host: string }): Promise<string> {
  const result = await moor(engine, ["image", "bootstrap", "--quiet"]);
  const id = result.stdout.trim();
  if (result.code !== 0 || !/^sha256:[0-9a-f]{64}$/.test(id)) {
    throw new Error(`moor image bootstrap failed (exit ${result.code}):\n${result.stdout}${result.stderr}`);
  }
  return id;
}
