import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { isAbsolute, join, normalize } from "node:path";
import { runWithInput, runWithOutput } from "../runtime/command.ts";
import { MoorError } from "../../errors.ts";
import type { ImageRecord, ImageStore } from "../../store/image-store.ts";
import { Filters } from "../filters.ts";
import { diskFull } from "../fs.ts";
import { applyChanges } from "./changes.ts";
import { emptyContainerConfig, orderedContainerConfig, type ContainerConfig, type ImageConfig } from "./image-config.ts";
import { rfc3339Nano } from "../../util/time.ts";
import type { LayerStore } from "./layers.ts";
import { parseReference, taggedName } from "./reference.ts";

export interface Image {
  /** "sha256:<hex>" */
  id: string;
  config: ImageConfig;
  /** "name:tag", sorted. */
  tags: string[];
  /** Bytes of all layers, unpacked. */
  size: number;
  /** Unix seconds (from the config's created time). */
  createdAt: number;
  lastTagTime: string;
  /** The image a build step started from, or "". */
  parent: string;
}

/** A new image on top of another (or of nothing): a build step's result, or a committed container. */
export interface CommitRequest {
  parent: Image | undefined;
  /** The step's filesystem changes as a layer tarball; none for a step that only changes the config. */
  layer?: AsyncIterable<Buffer>;
  /** The directory `layer` was made from, in overlayfs's form, to move into the layer store instead of unpacking `layer` again. */
  layerDirectory?: string;
  config: ContainerConfig;
  /** The config the step ran with (its Cmd names the step): dockerd's container_config. */
  containerConfig: ContainerConfig;
  createdBy: string;
  author?: string;
  comment?: string;
}

/** The diff ID of a tar stream with no entries: a step that changed no file adds no layer. */
const emptyTarDiffId = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

export interface ImportRequest {
  body: AsyncIterable<Buffer>;
  /** `name[:tag]` to tag the new image with, or "" for none. */
  repository: string;
  tag: string;
  changes: string[];
  message: string;
}

export type RemovalEntry = { Untagged: string } | { Deleted: string };

export interface Platform {
  architecture: string;
  os: string;
}

const listFilterKeys = new Set(["dangling", "label", "reference", "before", "since"]);

/**
 * Images: immutable configs in SQLite (the image ID is the sha256 of the config text), tags
 * pointing at them, and layers unpacked once in the LayerStore.
 */
export class ImageService {
  constructor(
    private readonly store: ImageStore,
    private readonly layers: LayerStore,
    private readonly platform: Platform,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** `docker import`: one layer from a root filesystem tarball, with `changes` applied. */
  async importRootfs(request: ImportRequest): Promise<Image> {
    const reference = request.repository === "" ? undefined : parseReference(request.tag ? `${request.repository}:${request.tag}` : request.repository);
    const config = applyChanges(emptyContainerConfig(), request.changes);
    const layer = await this.layers.unpack(request.body, (diffId) => this.store.layer(diffId)?.size);
    const created = rfc3339Nano(this.now());
    const comment = request.message || "Imported from -";
    const imageConfig: ImageConfig = {
      architecture: this.platform.architecture,
      comment,
      config: orderedContainerConfig(config),
      container_config: emptyContainerConfig(),
      created,
      history: [{ created, comment }],
      os: this.platform.os,
      rootfs: { type: "layers", diff_ids: [layer.diffId] },
    };
    const text = JSON.stringify(imageConfig);
    const id = imageIdOf(text);
    this.store.transaction(() => {
      this.store.insertLayer({ diffId: layer.diffId, size: layer.size }, Math.floor(Date.now() / 1000));
      this.store.insertImage({ id, config: text, createdAt: Math.floor(Date.parse(created) / 1000), parent: "" }, layer.size);
      if (reference !== undefined) this.store.setTag(taggedName(reference), id, rfc3339Nano(this.now()));
    });
    return this.inspect(id);
  }

  /**
   * A child image: the parent's layers plus the step's own (unless it changed no file), the
   * parent's history plus one entry. Its ID is the sha256 of the config, as always.
   */
  async commit(request: CommitRequest): Promise<Image> {
    const parentConfig = request.parent?.config;
    let layer: { diffId: string; size: number } | undefined;
    if (request.layer !== undefined) {
      const storedSize = (diffId: string) => this.store.layer(diffId)?.size;
      const unpacked =
        request.layerDirectory === undefined ? await this.layers.unpack(request.layer, storedSize) : await this.layers.adopt(request.layerDirectory, request.layer, storedSize);
      if (unpacked.diffId === emptyTarDiffId && this.store.layer(emptyTarDiffId) === undefined) await this.layers.remove(emptyTarDiffId);
      else layer = unpacked;
    }
    const created = rfc3339Nano(this.now());
    const history = [
      ...(parentConfig?.history ?? []),
      {
        created,
        ...(request.author ? { author: request.author } : {}),
        created_by: request.createdBy,
        ...(request.comment ? { comment: request.comment } : {}),
        ...(layer === undefined ? { empty_layer: true } : {}),
      },
    ];
    const imageConfig: ImageConfig = {
      architecture: parentConfig?.architecture ?? this.platform.architecture,
      ...(request.author ? { author: request.author } : {}),
      config: orderedContainerConfig(request.config),
      container_config: orderedContainerConfig(request.containerConfig),
      created,
      history,
      os: parentConfig?.os ?? this.platform.os,
      rootfs: { type: "layers", diff_ids: [...(parentConfig?.rootfs.diff_ids ?? []), ...(layer === undefined ? [] : [layer.diffId])] },
    };
    const text = JSON.stringify(imageConfig);
    const id = imageIdOf(text);
    const size = (request.parent?.size ?? 0) + (layer?.size ?? 0);
    this.store.transaction(() => {
      if (layer !== undefined) this.store.insertLayer(layer, Math.floor(Date.now() / 1000));
      this.store.insertImage({ id, config: text, createdAt: Math.floor(Date.parse(created) / 1000), parent: request.parent?.id ?? "" }, size);
    });
    return this.inspect(id);
  }

  /** The image a build step with `cacheKey` made from `parentId` before, if it is still there. */
  cachedStep(parentId: string, cacheKey: string): Image | undefined {
    const id = this.store.cachedStep(parentId, cacheKey);
    return id === undefined ? undefined : this.toImage(this.store.image(id)!);
  }

  rememberStep(parentId: string, cacheKey: string, imageId: string): void {
    this.store.cacheStep(parentId, cacheKey, imageId);
  }

  /**
   * `docker load`: a tarball written by `docker save` (manifest.json) or an OCI image layout
   * (index.json). Image IDs are kept: each is the sha256 of its config file, as given.
   */
  async load(body: AsyncIterable<Buffer>): Promise<Array<{ id: string; tags: string[] }>> {
    return this.layers.withScratchDir(async (dir) => {
      await runWithInput("tar", ["-x", "-f", "-", "-C", dir, "--no-same-owner", "--no-same-permissions"], body).catch((err: unknown) => {
        const full = diskFull(err, "the images", "the image archive");
        throw full !== err ? full : new MoorError("invalid", `error loading image archive: ${(err as Error).message}`, { cause: err });
      });
      const entries = await archiveEntries(dir);
      const loaded: Array<{ id: string; tags: string[] }> = [];
      for (const entry of entries) {
        const configText = await readFile(join(dir, entry.config), "utf8").catch(() => {
          throw new MoorError("invalid", `invalid archive: config ${entry.config} is missing`);
        });
        const config = JSON.parse(configText) as ImageConfig;
        const diffIds = config.rootfs?.diff_ids ?? [];
        if (diffIds.length !== entry.layers.length) {
          throw new MoorError("invalid", `invalid manifest, layers length mismatch: expected ${diffIds.length}, got ${entry.layers.length}`);
        }
        const sizes: number[] = [];
        for (const [index, layerPath] of entry.layers.entries()) {
          const existing = this.store.layer(diffIds[index]);
          if (existing !== undefined) {
            sizes.push(existing.size);
            continue;
          }
          const layer = await this.layers.unpack(createReadStream(join(dir, layerPath)), (diffId) => this.store.layer(diffId)?.size);
          if (layer.diffId !== diffIds[index]) {
            throw new MoorError("invalid", `invalid diffID for layer ${index}: expected ${JSON.stringify(diffIds[index])}, got ${JSON.stringify(layer.diffId)}`);
          }
          this.store.insertLayer({ diffId: layer.diffId, size: layer.size }, Math.floor(Date.now() / 1000));
          sizes.push(layer.size);
        }
        const id = imageIdOf(configText);
        const tags = entry.tags.map((tag) => taggedName(parseReference(tag)));
        this.store.transaction(() => {
          this.store.insertImage({ id, config: configText, createdAt: Math.floor(Date.parse(config.created) / 1000) || 0, parent: "" }, sizes.reduce((a, b) => a + b, 0));
          for (const tag of tags) this.store.setTag(tag, id, rfc3339Nano(this.now()));
        });
        loaded.push({ id, tags });
      }
      return loaded;
    });
  }

  /**
   * `docker save`: the images as the tarball `docker load` reads (manifest.json, repositories,
   * each config as <id>.json, each layer as <diff-id>/layer.tar), written to `output`.
   */
  async save(names: string[], output: NodeJS.WritableStream): Promise<void> {
    const wanted = names.map((name) => ({ name, id: this.resolve(name) }));
    await this.layers.withScratchDir(async (dir) => {
      const manifest: Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }> = [];
      const repositories: Record<string, Record<string, string>> = {};
      for (const id of new Set(wanted.map((w) => w.id))) {
        const record = this.store.image(id)!;
        const config = JSON.parse(record.config) as ImageConfig;
        const hex = id.slice("sha256:".length);
        await writeFile(join(dir, `${hex}.json`), record.config);
        const layers: string[] = [];
        for (const diffId of config.rootfs.diff_ids) {
          const layerHex = diffId.slice("sha256:".length);
          await mkdir(join(dir, layerHex), { recursive: true });
          await symlink(this.layers.tarPath(diffId), join(dir, layerHex, "layer.tar")).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== "EEXIST") throw err;
          });
          layers.push(`${layerHex}/layer.tar`);
        }
        // A name given as a tag saves that tag; a name given as an id saves every tag.
        const tags = wanted.some((w) => w.id === id && !isIdLike(w.name))
          ? wanted.filter((w) => w.id === id && !isIdLike(w.name)).map((w) => taggedName(parseReference(w.name)))
          : this.store.tagsOf(id).map((t) => t.reference);
        for (const tag of tags) {
          const colon = tag.lastIndexOf(":");
          (repositories[tag.slice(0, colon)] ??= {})[tag.slice(colon + 1)] = config.rootfs.diff_ids.at(-1)?.slice("sha256:".length) ?? "";
        }
        manifest.push({ Config: `${hex}.json`, RepoTags: tags.length > 0 ? tags : null, Layers: layers });
      }
      await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest));
      await writeFile(join(dir, "repositories"), JSON.stringify(repositories));
      await runWithOutput("tar", ["-c", "-f", "-", "--dereference", "--numeric-owner", "--owner=0", "--group=0", "--sort=name", "-C", dir, "."], output);
    });
  }

  /** Finds an image by name[:tag], full or short id, with or without "sha256:". */
  resolve(name: string): string {
    const notFound = () => new MoorError("not_found", `No such image: ${displayName(name)}`);
    if (/^sha256:[0-9a-f]{64}$/.test(name) && this.store.image(name) !== undefined) return name;
    let reference;
    try {
      reference = parseReference(name);
    } catch {
      reference = undefined;
    }
    if (reference !== undefined && reference.digest === undefined) {
      const tagged = this.store.tagged(taggedName(reference));
      if (tagged !== undefined) return tagged;
    }
    const hex = /^(?:sha256:)?([0-9a-f]{1,64})$/.exec(name)?.[1];
    if (hex !== undefined) {
      const matches = this.store.imagesByIdPrefix(`sha256:${hex}`);
      if (matches.length === 1) return matches[0];
    }
    throw notFound();
  }

  inspect(name: string): Image {
    return this.toImage(this.store.image(this.resolve(name))!);
  }

  /**
   * `docker history`: the image's history entries, newest first, each with the size of the
   * layer it added; entries of the image and of the images it was built on carry their IDs
   * and tags, older ones "<missing>" (as with dockerd, for layers that came from elsewhere).
   */
  history(name: string): Array<{ id: string; created: number; createdBy: string; tags: string[] | null; size: number; comment: string }> {
    const image = this.inspect(name);
    const diffIds = [...image.config.rootfs.diff_ids];
    const entries = image.config.history.map((entry) => ({
      id: "<missing>",
      created: Math.floor(Date.parse(entry.created) / 1000) || 0,
      createdBy: entry.created_by ?? "",
      tags: null as string[] | null,
      size: 0,
      comment: entry.comment ?? "",
      emptyLayer: Boolean(entry.empty_layer),
    }));
    for (let index = entries.length - 1; index >= 0; index--) {
      if (entries[index].emptyLayer) continue;
      const diffId = diffIds.pop();
      if (diffId !== undefined) entries[index].size = this.store.layer(diffId)?.size ?? 0;
    }
    entries.reverse();
    let id = image.id;
    for (const entry of entries) {
      entry.id = id;
      const tags = this.store.tagsOf(id).map((tag) => tag.reference);
      entry.tags = tags.length > 0 ? tags : null;
      id = this.store.image(id)?.parent ?? "";
      if (id === "" || this.store.image(id) === undefined) break;
    }
    return entries.map(({ emptyLayer: _emptyLayer, ...entry }) => entry);
  }

  /**
   * `docker images`: without `all`, the untagged images other images were built on (build
   * steps' intermediate images) are left out, as dockerd does.
   */
  list(filters: Filters = new Filters(), { all = false } = {}): Image[] {
    filters.validate(listFilterKeys);
    const dangling = filters.boolean("dangling");
    const references = filters.get("reference");
    return this.store
      .images()
      .map((record) => this.toImage(record))
      .map((image) =>
        // With a reference filter an image is listed under the tags that match it only.
        references.length === 0 ? image : { ...image, tags: image.tags.filter((tag) => references.some((pattern) => referenceMatches(pattern, tag))) },
      )
      .filter((image) => {
        if (!all && image.tags.length === 0 && this.store.children(image.id).length > 0) return false;
        if (references.length > 0 && image.tags.length === 0) return false;
        if (dangling !== undefined && (image.tags.length === 0) !== dangling) return false;
        return filters.matchKVList("label", image.config.config.Labels);
      })
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
  }

  /**
   * `system df`'s images (moby's Images with extra attributes): each listed image with the bytes
   * of its layers that another listed image also has at the same place in its stack (the same
   * chain), and how many containers use it; and the bytes of every layer stored.
   */
  diskUsage(containerImageIds: readonly string[]): { layersSize: number; images: Array<{ image: Image; sharedSize: number; containers: number }> } {
    const images = this.list();
    const chains = (image: Image) => image.config.rootfs.diff_ids.map((diffId, index, all) => ({ diffId, chain: all.slice(0, index + 1).join(",") }));
    const chainUsers = new Map<string, number>();
    for (const image of images) for (const { chain } of chains(image)) chainUsers.set(chain, (chainUsers.get(chain) ?? 0) + 1);
    return {
      layersSize: this.store.layers().reduce((sum, layer) => sum + layer.size, 0),
      images: images.map((image) => ({
        image,
        sharedSize: chains(image)
          .filter(({ chain }) => (chainUsers.get(chain) ?? 0) > 1)
          .reduce((sum, { diffId }) => sum + (this.store.layer(diffId)?.size ?? 0), 0),
        containers: containerImageIds.filter((id) => id === image.id).length,
      })),
    };
  }

  tag(source: string, repository: string, tag: string): void {
    const id = this.resolve(source);
    const reference = parseReference(tag ? `${repository}:${tag}` : repository);
    if (reference.digest !== undefined) throw new MoorError("invalid", "refusing to create a tag with a digest reference");
    this.store.setTag(taggedName(reference), id, rfc3339Nano(this.now()));
  }

  /**
   * `docker rmi`: a tag of an image with other tags is only untagged; otherwise the image goes
   * (refused while a container uses it, or when named by id with several tags, unless forced).
   */
  async remove(name: string, { force = false, prune = true } = {}): Promise<RemovalEntry[]> {
    const removed = this.untagOrDelete(name, force, prune);
    if (prune && removed.some((entry) => "Deleted" in entry)) await this.removeUnusedLayers();
    return removed;
  }

  /** `pruneParents`: also delete the untagged images it was built on that nothing else needs (rmi without --no-prune). */
  private untagOrDelete(name: string, force: boolean, pruneParents: boolean): RemovalEntry[] {
    return this.store.transaction(() => {
      const id = this.resolve(name);
      const short = id.slice("sha256:".length, "sha256:".length + 12);
      const tags = this.store.tagsOf(id).map((t) => t.reference);
      let byTag: string | undefined;
      try {
        const reference = parseReference(name);
        if (reference.digest === undefined && tags.includes(taggedName(reference))) byTag = taggedName(reference);
      } catch {
        byTag = undefined;
      }
      if (byTag !== undefined && tags.length > 1) {
        this.store.deleteTag(byTag);
        return [{ Untagged: byTag }];
      }
      const users = this.store.containersUsing(id);
      const running = users.find((user) => user.running);
      if (running !== undefined) {
        const what = byTag === undefined ? short : `repository reference "${name}"`;
        throw new MoorError("conflict", `conflict: unable to delete ${what} (cannot be forced) - image is being used by running container ${running.id.slice(0, 12)}`);
      }
      if (users.length > 0 && !force) {
        const what = byTag === undefined ? short : `repository reference "${name}"`;
        throw new MoorError("conflict", `conflict: unable to remove ${what} (must force) - container ${users[0].id.slice(0, 12)} is using its referenced image ${short}`);
      }
      if (byTag === undefined && tags.length > 1 && !force) {
        throw new MoorError("conflict", `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
      }
      if (users.length === 0 && this.store.children(id).length > 0) {
        if (byTag === undefined) throw new MoorError("conflict", `conflict: unable to delete ${short} (cannot be forced) - image has dependent child images`);
      }
      const removed: RemovalEntry[] = tags.map((reference) => ({ Untagged: reference }));
      for (const reference of tags) this.store.deleteTag(reference);
      if (users.length === 0 && this.store.children(id).length === 0) {
        let parent = this.store.image(id)!.parent;
        this.store.deleteImage(id);
        removed.push({ Deleted: id });
        while (pruneParents && parent !== "" && this.isUnneededParent(parent)) {
          const next = this.store.image(parent)!.parent;
          this.store.deleteImage(parent);
          removed.push({ Deleted: parent });
          parent = next;
        }
      }
      return removed;
    });
  }

  private isUnneededParent(id: string): boolean {
    return this.store.image(id) !== undefined && this.store.tagsOf(id).length === 0 && this.store.children(id).length === 0 && this.store.containersUsing(id).length === 0;
  }

  /**
   * `docker image prune`: images no container uses, only untagged ones unless
   * `dangling=false` (the CLI's --all), filtered by `label`/`label!`.
   */
  async prune(filters: Filters = new Filters()): Promise<{ removed: RemovalEntry[]; spaceReclaimed: number }> {
    filters.validate(new Set(["dangling", "label", "label!", "until"]));
    const danglingOnly = filters.boolean("dangling") ?? true;
    const until = filters.get("until")[0];
    const cutoff = until === undefined ? undefined : parseUntil(until);
    const candidates = this.list().filter(
      (image) =>
        (!danglingOnly || image.tags.length === 0) &&
        this.store.containersUsing(image.id).length === 0 &&
        filters.matchKVList("label", image.config.config.Labels) &&
        !(filters.contains("label!") && filters.matchKVList("label!", image.config.config.Labels)) &&
        (cutoff === undefined || image.createdAt < cutoff),
    );
    const removed: RemovalEntry[] = [];
    let spaceReclaimed = 0;
    for (const image of candidates) {
      removed.push(...this.untagOrDelete(image.id, true, true));
      spaceReclaimed += image.size;
    }
    if (removed.length > 0) await this.removeUnusedLayers();
    return { removed, spaceReclaimed };
  }

  /** Layers no image uses any more: deleted from disk and store. */
  async removeUnusedLayers(): Promise<void> {
    const used = new Set(this.store.images().flatMap((record) => (JSON.parse(record.config) as ImageConfig).rootfs.diff_ids));
    for (const layer of this.store.layers()) {
      if (used.has(layer.diffId)) continue;
      this.store.deleteLayer(layer.diffId);
      await this.layers.remove(layer.diffId);
    }
  }

  /** At start: finish what a crash interrupted. */
  async recover(): Promise<void> {
    await this.removeUnusedLayers();
    await this.layers.recover(new Set(this.store.layers().map((layer) => layer.diffId)));
  }

  private toImage(record: ImageRecord): Image {
    const config = JSON.parse(record.config) as ImageConfig;
    const tags = this.store.tagsOf(record.id);
    const size = config.rootfs.diff_ids.reduce((sum, diffId) => sum + (this.store.layer(diffId)?.size ?? 0), 0);
    return {
      id: record.id,
      config,
      tags: tags.map((tag) => tag.reference),
      size,
      createdAt: record.createdAt,
      lastTagTime: tags.map((tag) => tag.taggedAt).sort().at(-1) ?? "",
      parent: record.parent,
    };
  }

  layerPaths(image: Image): string[] {
    return image.config.rootfs.diff_ids.map((diffId) => this.layers.diffPath(diffId));
  }
}

interface ArchiveEntry {
  /** Paths inside the archive. */
  config: string;
  layers: string[];
  tags: string[];
}

/** The images an extracted archive holds: docker's manifest.json, or an OCI index.json. */
async function archiveEntries(dir: string): Promise<ArchiveEntry[]> {
  const manifest = await readFile(join(dir, "manifest.json"), "utf8").catch(() => undefined);
  if (manifest !== undefined) {
    return (JSON.parse(manifest) as Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }>).map((item) => ({
      config: safeArchivePath(item.Config),
      layers: item.Layers.map(safeArchivePath),
      tags: item.RepoTags ?? [],
    }));
  }
  const index = await readFile(join(dir, "index.json"), "utf8").catch(() => {
    throw new MoorError("invalid", "invalid archive: neither manifest.json (docker save) nor index.json (OCI layout) found");
  });
  const blob = (digest: string) => safeArchivePath(`blobs/${digest.replace(":", "/")}`);
  const entries: ArchiveEntry[] = [];
  type Descriptor = { digest: string; mediaType?: string; annotations?: Record<string, string> };
  for (const descriptor of (JSON.parse(index) as { manifests: Descriptor[] }).manifests) {
    let manifestDoc = JSON.parse(await readFile(join(dir, blob(descriptor.digest)), "utf8")) as {
      manifests?: Descriptor[];
      config?: Descriptor;
      layers?: Descriptor[];
    };
    // An image index inside: take the manifest for this platform, or the first one.
    if (manifestDoc.manifests !== undefined) {
      const chosen = manifestDoc.manifests.find((m) => (m as { platform?: { architecture?: string } }).platform?.architecture === "amd64") ?? manifestDoc.manifests[0];
      manifestDoc = JSON.parse(await readFile(join(dir, blob(chosen.digest)), "utf8"));
    }
    if (manifestDoc.config === undefined || manifestDoc.layers === undefined) {
      throw new MoorError("invalid", `invalid archive: ${descriptor.digest} is not an image manifest`);
    }
    const name = descriptor.annotations?.["io.containerd.image.name"] ?? descriptor.annotations?.["org.opencontainers.image.ref.name"];
    entries.push({
      config: blob(manifestDoc.config.digest),
      layers: manifestDoc.layers.map((layer) => blob(layer.digest)),
      // A bare ref.name ("latest") is a tag without a repository: nothing to name the image by.
      tags: name !== undefined && /[/:]/.test(name) ? [name] : [],
    });
  }
  return entries;
}

/** The `until` filter: a Unix time, an RFC 3339 time, or a Go duration ago ("24h", "90m"). */
function parseUntil(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const duration = /^(\d+)(h|m|s)$/.exec(value);
  if (duration !== null) {
    const seconds = Number(duration[1]) * { h: 3600, m: 60, s: 1 }[duration[2] as "h" | "m" | "s"];
    return Date.now() / 1000 - seconds;
  }
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new MoorError("invalid", `failed to parse value as time or duration: ${JSON.stringify(value)}`);
  return time / 1000;
}

/** An image's ID: the sha256 of its config, byte for byte. */
function imageIdOf(configText: string): string {
  return `sha256:${createHash("sha256").update(configText).digest("hex")}`;
}

function isIdLike(name: string): boolean {
  return /^(sha256:)?[0-9a-f]{12,64}$/.test(name);
}

/** Paths from an archive's manifest must stay inside the archive. */
function safeArchivePath(path: string): string {
  const normalized = normalize(path);
  if (isAbsolute(normalized) || normalized.startsWith("..")) throw new MoorError("invalid", `invalid archive: path ${JSON.stringify(path)} leaves the archive`);
  return normalized;
}

/** How dockerd names a missing image: a name gets its default tag, an id stays as given. */
function displayName(name: string): string {
  try {
    const reference = parseReference(name);
    return reference.digest === undefined ? taggedName(reference) : name;
  } catch {
    return name;
  }
}

/** The `reference` filter: a glob over `name` or `name:tag` (path.Match semantics). */
function referenceMatches(pattern: string, tagged: string): boolean {
  const glob = new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);
  return glob.test(tagged) || glob.test(tagged.slice(0, tagged.lastIndexOf(":")));
}
