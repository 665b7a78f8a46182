-- Larder store schema, version 4: the backfill ledger. One row per view
-- version and interval [start_us, end_us) that `larder backfill --command`
-- (or a library backfill with a function) has tried: the run that filled it,
-- what produced it and a fingerprint of (definition version, command line,
-- content hash of its output), whether it is committed or failed, and when.
-- A committed row is written in the same transaction as its run, so the
-- ledger never names a run the store does not have, nor misses one.
-- (m0003 is reserved for the run statistics.)
CREATE TABLE backfill_ledger (
    view           TEXT NOT NULL,
    version        INTEGER NOT NULL,
    start_us       INTEGER NOT NULL,   -- µs since the epoch, UTC, inclusive
    end_us         INTEGER NOT NULL,   -- exclusive
    status         TEXT NOT NULL CHECK (status IN ('committed', 'failed')),
    run_id         INTEGER,            -- the run that filled it (the last committed one)
    command        TEXT NOT NULL,      -- the command line (placeholders expanded) or the function's name
    content_sha256 TEXT NOT NULL,      -- of the output committed ('' when none)
    fingerprint    TEXT NOT NULL,      -- SHA-256 of version, command and content hash ('' when failed)
    message        TEXT NOT NULL DEFAULT '', -- why it failed: exit status, stderr tail, validation report
    recorded_at    INTEGER NOT NULL,   -- µs since the epoch, UTC
    PRIMARY KEY (view, version, start_us)
) STRICT, WITHOUT ROWID;
