import type { Db } from "./database.ts";

export interface ImageRecord {
  /** "sha256:<hex>" of the config text. */
  id: string;
  /** The config JSON exactly as stored: its sha256 is the id. */
  config: string;
  /** Unix seconds. */
  createdAt: number;
  /** The image a build step started from, or "". */
  parent: string;
}

export interface LayerRecord {
  diffId: string;
  size: number;
}

/** Images (immutable config rows), their tags and their unpacked layers. */
export class ImageStore {
  constructor(private readonly db: Db) {}

  transaction<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  layer(diffId: string): LayerRecord | undefined {
    return this.db.prepare<[string], LayerRecord>("SELECT diff_id AS diffId, size FROM layers WHERE diff_id = ?").get(diffId);
  }

  layers(): LayerRecord[] {
    return this.db.prepare<[], LayerRecord>("SELECT diff_id AS diffId, size FROM layers").all();
  }

  insertLayer(layer: LayerRecord, createdAt: number): void {
    this.db.prepare("INSERT OR IGNORE INTO layers (diff_id, size, created_at) VALUES (?, ?, ?)").run(layer.diffId, layer.size, createdAt);
  }

  deleteLayer(diffId: string): void {
    this.db.prepare("DELETE FROM layers WHERE diff_id = ?").run(diffId);
  }

  image(id: string): ImageRecord | undefined {
    return this.db.prepare<[string], ImageRecord>("SELECT id, config, created_at AS createdAt, parent FROM images WHERE id = ?").get(id);
  }

  images(): ImageRecord[] {
    return this.db.prepare<[], ImageRecord>("SELECT id, config, created_at AS createdAt, parent FROM images").all();
  }

  /** Ids starting with `prefix` ("sha256:" included). */
  imagesByIdPrefix(prefix: string): string[] {
    return this.db
      .prepare<[number, string], { id: string }>("SELECT id FROM images WHERE substr(id, 1, ?) = ?")
      .all(prefix.length, prefix)
      .map((row) => row.id);
  }

  insertImage(image: ImageRecord, size: number): void {
    this.db
      .prepare("INSERT OR IGNORE INTO images (id, config, size, created_at, parent) VALUES (?, ?, ?, ?, ?)")
      .run(image.id, image.config, size, image.createdAt, image.parent);
  }

  deleteImage(id: string): void {
    this.db.prepare("DELETE FROM build_cache WHERE parent_id = ?").run(id);
    this.db.prepare("DELETE FROM images WHERE id = ?").run(id);
  }

  /** Images built on top of this one. */
  children(id: string): string[] {
    return this.db
      .prepare<[string], { id: string }>("SELECT id FROM images WHERE parent = ?")
      .all(id)
      .map((row) => row.id);
  }

  /** The image a build step with this key made from `parentId` ("" for scratch). */
  cachedStep(parentId: string, cacheKey: string): string | undefined {
    return this.db
      .prepare<[string, string], { image_id: string }>("SELECT image_id FROM build_cache WHERE parent_id = ? AND cache_key = ?")
      .get(parentId, cacheKey)?.image_id;
  }

  cacheStep(parentId: string, cacheKey: string, imageId: string): void {
    this.db
      .prepare("INSERT INTO build_cache (parent_id, cache_key, image_id) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET image_id = excluded.image_id")
      .run(parentId, cacheKey, imageId);
  }

  tagged(reference: string): string | undefined {
    return this.db.prepare<[string], { image_id: string }>("SELECT image_id FROM image_tags WHERE reference = ?").get(reference)?.image_id;
  }

  tagsOf(imageId: string): Array<{ reference: string; taggedAt: string }> {
    return this.db
      .prepare<[string], { reference: string; taggedAt: string }>(
        "SELECT reference, tagged_at AS taggedAt FROM image_tags WHERE image_id = ? ORDER BY reference",
      )
      .all(imageId);
  }

  allTags(): Array<{ reference: string; imageId: string }> {
    return this.db.prepare<[], { reference: string; imageId: string }>("SELECT reference, image_id AS imageId FROM image_tags").all();
  }

  /** Points `reference` at the image, moving it from any image it named before. */
  setTag(reference: string, imageId: string, taggedAt: string): void {
    this.db
      .prepare("INSERT INTO image_tags (reference, image_id, tagged_at) VALUES (?, ?, ?) ON CONFLICT(reference) DO UPDATE SET image_id = excluded.image_id, tagged_at = excluded.tagged_at")
      .run(reference, imageId, taggedAt);
  }

  deleteTag(reference: string): void {
    this.db.prepare("DELETE FROM image_tags WHERE reference = ?").run(reference);
  }

  /** Containers created from the image (they keep it from being removed). */
  containersUsing(imageId: string): Array<{ id: string; running: boolean }> {
    return this.db
      .prepare<[string], { id: string; running: number }>(
        "SELECT c.id, COALESCE(s.status = 'running', 0) AS running FROM containers c LEFT JOIN container_state s ON s.container_id = c.id WHERE c.image_id = ?",
      )
      .all(imageId)
      .map((row) => ({ id: row.id, running: row.running === 1 }));
  }
}
