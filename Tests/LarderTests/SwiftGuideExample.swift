import Foundation
import Larder

/// The program of docs/swift.md, compiled and run by `SwiftGuideTests`: the
/// text between the GUIDE markers must be the guide's code block, line for
/// line, so the guide cannot go stale.
func swiftGuideExample(storePath: String) throws -> (trainingRows: Int, conversion: Double?, batchConversions: [Double]) {
    // BEGIN GUIDE
    // 1. Open (or create) a store and apply definitions.
    let store = try FeatureStore(path: storePath)
    try store.apply(try Definitions.parse(yaml: """
        entities:
          - name: driver
            join_keys: [{name: driver_id, type: int64}]
        feature_views:
          - name: driver_stats
            entity: driver
            ttl: 7d
            features:
              - {name: conv_rate, type: float64, expect: {min: 0, max: 1}}
              - {name: trips, type: int64}
        feature_sets:
          - name: driver_ranking
            features: [driver_stats:conv_rate, driver_stats:trips]
        """, file: "definitions.yaml"))

    // 2. Write features computed in process: one validated, atomic run.
    let now = Date()
    var ids = Column(type: .int64), times = Column(type: .timestamp)
    var rates = Column(type: .float64), trips = Column(type: .int64)
    for (id, hoursAgo, rate, count) in [(1001, 2, 0.25, 10), (1001, 1, 0.5, 12), (1002, 1, 0.75, 3)] as [(Int64, Double, Double, Int64)] {
        ids.append(id)
        times.append(Timestamp(now.addingTimeInterval(-hoursAgo * 3600)))
        rates.append(rate)
        trips.append(count)
    }
    try store.write(view: "driver_stats", frame: FeatureFrame(
        names: ["driver_id", "event_timestamp", "conv_rate", "trips"], columns: [ids, times, rates, trips]))

    // 3. Train: each spine row sees the features as they were at its time.
    var spineIDs = Column(type: .int64), spineTimes = Column(type: .timestamp)
    spineIDs.append(Int64(1001))
    spineTimes.append(Timestamp(now.addingTimeInterval(-90 * 60)))   // 90 minutes ago: the row of 2 hours ago
    let training = try store.historicalFeatures(
        spine: FeatureFrame(names: ["driver_id", "event_timestamp"], columns: [spineIDs, spineTimes]),
        features: try store.registry.featureSet("driver_ranking").features)

    // 4. Serve: a prepared reader answers in well under a microsecond.
    let reader = try store.reader(featureSet: "driver_ranking")
    let latest = try reader.read(key: 1001)
    let conversion = latest.double("conv_rate")        // 0.5, the latest row
    let many = try reader.read(keys: [1001, 1002])     // one batch read: columns, statuses, event times
    // END GUIDE
    return (training.rowCount, conversion, many.values[0].doubles)
}
