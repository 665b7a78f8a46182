-- Larder store schema on PostgreSQL, version 2: the newest event time of each
-- view version, kept by the writes (SQLite's m0005), so that "how fresh is
-- it" is one read instead of a scan of the view's table (docs/ui.md).
--
-- newest_event_at: the greatest event_timestamp in the version's table (µs
-- since the epoch, UTC), NULL while it is empty. Every committed run raises
-- it to its own newest row; `apply --carry-data` sets it from the rows copied.
-- events_known: true when newest_event_at is kept. Versions created before
-- this migration start false: their time is found by a scan until their next
-- run, which computes it once and keeps it from then on.
ALTER TABLE view_versions ADD COLUMN newest_event_at bigint;
ALTER TABLE view_versions ADD COLUMN events_known boolean NOT NULL DEFAULT false;
