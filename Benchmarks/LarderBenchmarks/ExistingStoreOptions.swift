import ArgumentParser

/// Options of the benchmarks that run on a store already backfilled and
/// snapshotted (`process`, `write1`, `sharing`): they never backfill.
struct ExistingStoreOptions: ParsableArguments {
    /// The store, e.g. `/tmp/s10/larder.db`; only read unless a benchmark
    /// says it works on a copy.
    @Option(help: "An existing store, backfilled and snapshotted (only read; write1 works on a copy).")
    var store: String

    /// The `larder` executable of the whole-process runs.
    @Option(help: "Path of the larder executable (release build).")
    var larder = ".build/release/larder"

    /// Where copies and outputs go.
    @Option(help: "Scratch folder for copies of the store and outputs.")
    var work = "/tmp/larder-bench"

    /// How many times each measurement is repeated.
    @Option(help: "Repetitions (the median is reported).")
    var repeats = 10

    /// The entities of the store are `firstKey ..< firstKey + entities`
    /// (`gen_data.py`: `first_driver_id` and `entities` of its manifest).
    @Option(help: "Number of entities (drivers) in the store: 100000 at 1M rows, 1000000 at 10M.")
    var entities = 1_000_000

    /// The smallest driver id.
    @Option(help: "The first driver id (gen_data.py's first_driver_id).")
    var firstKey: Int64 = 1000

    /// The feature set the readers are made of.
    @Option(help: "The feature set read.")
    var featureSet = "driver_stats_svc"

    /// The range of the store's driver ids.
    var keys: Range<Int64> { firstKey ..< firstKey + Int64(entities) }
}
