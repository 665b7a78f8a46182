-- Larder store schema, version 3: what each ingest run's values looked like.
-- One row per run and feature, written in the run's own transaction from the
-- rows it committed (docs/quality.md). The statistics of several runs are the
-- merge of these sketches, never a new pass over the feature rows.
CREATE TABLE run_statistics (
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    position INTEGER NOT NULL,          -- the feature's position in its view version
    feature  TEXT NOT NULL,
    type     TEXT NOT NULL,             -- the feature's type, as in `features`
    sketch   BLOB NOT NULL,             -- FeatureStatistics, binary format version 1
    PRIMARY KEY (run_id, position)
) STRICT;
