/**
 * Numbered schema migrations, applied in order inside one transaction each; the number of the
 * last one applied is SQLite's user_version. Never edit a migration that has shipped: add one.
 *
 * Layout (see docs/architecture.md):
 * - volumes: one row per volume; `state` makes create and remove atomic across the row and
 *   the directory (rows in 'creating' or 'removing' are rolled back or forward at start).
 * - images, image_tags: content-addressed images (filled from the next issue on).
 * - containers: config rows written once (an update trigger refuses changes: to change a
 *   container, replace it); container_names and container_state are the small mutable parts.
 * - container_mounts: what each container references; "volume in use" is a query over it.
 * - volume_users: who has a volume's device mounted right now (option volumes are mounted on
 *   first use and unmounted after the last user).
 * - deploy_revisions: numbered, immutable revisions of deployed apps.
 * - engine_settings: facts about this engine that must survive restarts (its ID).
 * - layers (2): unpacked image layers by diff ID; each is unpacked once and shared by images.
 * - container_state.manually_stopped (3): stopped or killed by a user, which holds off its
 *   restart policy (dockerd's HasBeenManuallyStopped).
 * - container_mounts.driver, .create_source (4): a volume's driver, and whether a bind's missing
 *   host directory is made at start (Binds) or refused (Mounts); `spec` becomes the mount as
 *   moby's mount.Mount shapes it (older rows kept the raw Binds string under "bind").
 * - images.parent, build_cache (5): the image a build step started from (dockerd keeps it
 *   beside the config, not in it), and the build cache: which image a step made from a parent,
 *   by the step's cache key (instruction, its config, the content it copied).
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE volumes (
    name        TEXT PRIMARY KEY,
    driver      TEXT NOT NULL,
    labels      TEXT,
    options     TEXT,
    created_at  INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('creating', 'ready', 'removing'))
  ) STRICT;

  CREATE TABLE images (
    id          TEXT PRIMARY KEY,
    config      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE image_tags (
    reference   TEXT PRIMARY KEY,
    image_id    TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
  ) STRICT;

  CREATE TABLE containers (
    id          TEXT PRIMARY KEY,
    image_id    TEXT NOT NULL REFERENCES images(id),
    config      TEXT NOT NULL,
    host_config TEXT NOT NULL,
    created_at  TEXT NOT NULL
  ) STRICT;

  CREATE TRIGGER containers_are_immutable BEFORE UPDATE ON containers
  BEGIN
    SELECT RAISE(ABORT, 'container config rows are immutable: replace the container instead');
  END;

  CREATE TABLE container_names (
    name         TEXT PRIMARY KEY,
    container_id TEXT NOT NULL UNIQUE REFERENCES containers(id) ON DELETE CASCADE
  ) STRICT;

  CREATE TABLE container_state (
    container_id  TEXT PRIMARY KEY REFERENCES containers(id) ON DELETE CASCADE,
    status        TEXT NOT NULL,
    pid           INTEGER NOT NULL DEFAULT 0,
    exit_code     INTEGER NOT NULL DEFAULT 0,
    started_at    TEXT,
    finished_at   TEXT,
    restart_count INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT ''
  ) STRICT;

  CREATE TABLE container_mounts (
    container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    destination  TEXT NOT NULL,
    type         TEXT NOT NULL CHECK (type IN ('volume', 'bind', 'tmpfs')),
    volume_name  TEXT REFERENCES volumes(name) ON DELETE RESTRICT,
    source       TEXT NOT NULL,
    mode         TEXT NOT NULL,
    rw           INTEGER NOT NULL,
    propagation  TEXT NOT NULL,
    spec         TEXT NOT NULL,
    PRIMARY KEY (container_id, destination)
  ) STRICT;
  CREATE INDEX container_mounts_by_volume ON container_mounts(volume_name);

  CREATE TABLE volume_users (
    volume_name TEXT NOT NULL REFERENCES volumes(name) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (volume_name, user_id)
  ) STRICT;

  CREATE TABLE deploy_revisions (
    project     TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    spec        TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (project, revision)
  ) STRICT;

  CREATE TABLE engine_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;
  `,
  `
  CREATE TABLE layers (
    diff_id    TEXT PRIMARY KEY,
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;
  ALTER TABLE image_tags ADD COLUMN tagged_at TEXT NOT NULL DEFAULT '';
  `,
  `
  ALTER TABLE container_state ADD COLUMN manually_stopped INTEGER NOT NULL DEFAULT 0;
  `,
  `
  ALTER TABLE container_mounts ADD COLUMN driver TEXT NOT NULL DEFAULT '';
  ALTER TABLE container_mounts ADD COLUMN create_source INTEGER NOT NULL DEFAULT 0;
  UPDATE container_mounts SET driver = 'local' WHERE type = 'volume';
  UPDATE container_mounts SET create_source = 1 WHERE type = 'bind' AND json_extract(spec, '$.bind') IS NOT NULL;
  UPDATE container_mounts
     SET spec = json_object('Type', type, 'Source', CASE WHEN type = 'volume' THEN volume_name ELSE source END, 'Target', destination, 'ReadOnly', json(CASE WHEN rw = 1 THEN 'false' ELSE 'true' END))
   WHERE json_extract(spec, '$.bind') IS NOT NULL;
  `,
  `
  ALTER TABLE images ADD COLUMN parent TEXT NOT NULL DEFAULT '';
  CREATE TABLE build_cache (
    parent_id  TEXT NOT NULL,
    cache_key  TEXT NOT NULL,
    image_id   TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    PRIMARY KEY (parent_id, cache_key)
  ) STRICT;
  CREATE INDEX images_parent ON images (parent);
  `,
  `
  CREATE TABLE volume_renames (
    old_name  TEXT PRIMARY KEY REFERENCES volumes(name) ON DELETE CASCADE,
    new_name  TEXT NOT NULL UNIQUE
  ) STRICT;
  `,
  `
  CREATE TABLE backup_schedules (
    volume    TEXT PRIMARY KEY REFERENCES volumes(name) ON DELETE CASCADE ON UPDATE CASCADE,
    schedule  TEXT NOT NULL,
    keep      INTEGER NOT NULL,
    target    TEXT NOT NULL,
    writers   TEXT NOT NULL,
    owner     TEXT NOT NULL,
    set_at    TEXT NOT NULL
  ) STRICT;
  CREATE TABLE backup_runs (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    volume    TEXT NOT NULL REFERENCES volumes(name) ON DELETE CASCADE ON UPDATE CASCADE,
    started   TEXT NOT NULL,
    finished  TEXT,
    status    TEXT NOT NULL,
    file      TEXT NOT NULL,
    bytes     INTEGER,
    error     TEXT,
    pruned    INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE INDEX backup_runs_volume ON backup_runs (volume, id);
  `,
];
