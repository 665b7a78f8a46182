-- Larder store schema, version 1: the registry and the ingest runs.
-- Feature rows live in one typed table per view version, created by the registry
-- (named "fv_<view>_v<version>"), not here.

CREATE TABLE entities (
    name        TEXT PRIMARY KEY,
    join_keys   TEXT NOT NULL,          -- JSON: [{"name": ..., "type": "int64"|"string"}, ...]
    description TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE feature_views (
    name TEXT PRIMARY KEY
) STRICT;

CREATE TABLE view_versions (
    id          INTEGER PRIMARY KEY,
    view        TEXT NOT NULL REFERENCES feature_views(name),
    version     INTEGER NOT NULL,
    entity      TEXT NOT NULL REFERENCES entities(name),
    join_keys   TEXT NOT NULL,          -- JSON, the entity's join keys when this version was made
    ttl_us      INTEGER NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    owner       TEXT NOT NULL DEFAULT '',
    tags        TEXT NOT NULL DEFAULT '{}', -- JSON object of string → string
    table_name  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,         -- µs since the Unix epoch, UTC
    UNIQUE (view, version)
) STRICT;

CREATE TABLE features (
    view_version_id INTEGER NOT NULL REFERENCES view_versions(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    type            TEXT NOT NULL,        -- int64, float64, bool, string, bytes, timestamp, vector<float32, N>
    expectations    TEXT NOT NULL DEFAULT '{}', -- JSON
    description     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (view_version_id, position),
    UNIQUE (view_version_id, name)
) STRICT;

CREATE TABLE feature_sets (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    refs        TEXT NOT NULL,            -- JSON: ["view@N:feature", ...], versions pinned
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    UNIQUE (name, version)
) STRICT;

-- Ingest runs outlive a dropped view version: rows carried to a newer version
-- (apply --carry-data) keep their run ids, and the point-in-time rule's asOf
-- horizon needs each run's commit time.
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    view            TEXT NOT NULL,
    version         INTEGER NOT NULL,
    source          TEXT NOT NULL,
    content_sha256  TEXT NOT NULL,
    rows            INTEGER NOT NULL,
    rejected        INTEGER NOT NULL,
    started_at      INTEGER NOT NULL,  -- µs since the epoch, UTC
    committed_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX runs_by_view ON runs(view, version, id);
CREATE INDEX runs_by_content ON runs(view, version, content_sha256);
