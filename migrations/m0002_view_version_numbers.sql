-- Larder store schema, version 2: a view's version numbers are never reused.
-- `larder drop VIEW@N` deletes N's registry rows, but N's runs stay listed
-- under VIEW@N, `--skip-if-unchanged` matches runs by view, version and content,
-- and an older feature set version may still pin VIEW@N; so no later apply may
-- issue N again. This table keeps the highest version ever issued per view,
-- also for views whose every version was dropped.
CREATE TABLE view_version_numbers (
    view         TEXT PRIMARY KEY,
    last_version INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Stores made before this migration: the highest version that is registered,
-- named by a run, or pinned by a feature set (a dropped version that none of
-- these names left no trace to be confused with).
INSERT INTO view_version_numbers (view, last_version)
SELECT view, MAX(version) FROM (
    SELECT view, version FROM view_versions
    UNION ALL
    SELECT view, version FROM runs
    UNION ALL
    SELECT substr(ref.value, 1, instr(ref.value, '@') - 1),
           CAST(substr(ref.value, instr(ref.value, '@') + 1, instr(ref.value, ':') - instr(ref.value, '@') - 1) AS INTEGER)
    FROM feature_sets, json_each(feature_sets.refs) AS ref
    WHERE json_valid(feature_sets.refs) AND ref.type = 'text'
      AND instr(ref.value, '@') > 0 AND instr(ref.value, ':') > instr(ref.value, '@')
)
GROUP BY view;
