extension SQLiteSession: RuleSource {
    func match<K: KeyProbe>(_ key: K, at time: Int64, asOf: Int64, in view: FeatureView,
                            into columns: inout [Column], eventTime: inout Int64, status: Bool) throws -> PointInTime.Match {
        try rule(for: view).match(key, at: time, asOf: asOf, db: db, into: &columns, eventTime: &eventTime, status: status)
    }

    func keys(of view: FeatureView, asOf: Int64) throws -> [Column] {
        try rule(for: view).keys(asOf: asOf, db: db)
    }

    /// The rule's statements for `view`, built on first use. Keyed by table
    /// name: a version's number is never issued twice, so neither is its table.
    private func rule(for view: FeatureView) -> SQLiteRule {
        if let rule = rules[view.tableName] { return rule }
        let rule = SQLiteRule(view: view)
        rules[view.tableName] = rule
        return rule
    }
}
