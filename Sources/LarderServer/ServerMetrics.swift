import Larder
import Metrics
import Prometheus
import Synchronization

/// The server's metrics, recorded through swift-metrics into a Prometheus
/// registry of their own (no global bootstrap, so an app may run several
/// servers or its own metrics backend) and shown by `GET /metrics` in
/// Prometheus text format:
///
/// - `larder_http_requests_total{route, status}` and
///   `larder_http_errors_total{route, status}` (4xx and 5xx);
/// - `larder_http_request_duration_seconds{route}`: a latency histogram;
/// - `larder_online_entities`: entities per online request (histogram);
/// - `larder_push_rows`: rows per push (histogram);
/// - `larder_cache_bytes{view, version}`, `larder_cache_rows{view, version}`:
///   what the columnar cache holds, read at each scrape;
/// - `larder_seconds_since_last_run{view}`: feature freshness, the age of
///   the view's last committed run, read at each scrape.
public final class ServerMetrics: Sendable {
    /// The registry the metrics are kept in.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    /// Metrics kept in `registry` (a new one by default).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets = [
            "larder_online_entities": [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 10_000, 100_000],
            "larder_push_rows": [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000],
        ]
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
        ]
        self.factory = factory
        entities = ServerMetrics.recorder("larder_online_entities", factory: factory)
        rows = ServerMetrics.recorder("larder_push_rows", factory: factory)
    }

    /// The metric handles of one route and status, made once.
    private struct RequestHandles {
        let requests: CoreMetrics.Counter
        let errors: CoreMetrics.Counter?
        let duration: Timer
    }

    /// A route and status.
    private struct RouteStatus: Hashable {
        let route: String
        let status: Int
    }

    private let handles = Mutex<[RouteStatus: RequestHandles]>([:])
    private let entities: Recorder
    private let rows: Recorder

    /// Counts a request to `route` answered with `status` in `duration`.
    func request(route: String, status: Int, duration: Duration) {
        let key = RouteStatus(route: route, status: status)
        let made = handles.withLock { handles in
            if let made = handles[key] { return made }
            let dimensions = [("route", route), ("status", String(status))]
            let made = RequestHandles(
                requests: CoreMetrics.Counter(label: "larder_http_requests_total", dimensions: dimensions, factory: factory),
                errors: status >= 400 ? CoreMetrics.Counter(label: "larder_http_errors_total", dimensions: dimensions, factory: factory) : nil,
                duration: Timer(label: "larder_http_request_duration_seconds", dimensions: [("route", route)], factory: factory))
            handles[key] = made
            return made
        }
        made.requests.increment()
        made.errors?.increment()
        made.duration.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Records the number of entities of an online request.
    func onlineEntities(_ count: Int) { entities.record(count) }

    /// Records the number of rows of a push.
    func pushRows(_ count: Int) { rows.record(count) }

    private static func recorder(_ label: String, factory: PrometheusMetricsFactory) -> Recorder {
        Recorder(label: label, dimensions: [], aggregate: true,
                 handler: factory.makeRecorder(label: label, dimensions: [], aggregate: true), factory: factory)
    }

    /// Reads the cache's contents and each view's last run into their
    /// gauges, then renders every metric in Prometheus text format. It
    /// reads the store: call it off the event loops.
    func exposition(store: FeatureStore) throws -> [UInt8] {
        for entry in try store.cacheStatistics() {
            let dimensions = [("view", entry.view), ("version", String(entry.version))]
            Gauge(label: "larder_cache_bytes", dimensions: dimensions, factory: factory).record(entry.bytes)
            Gauge(label: "larder_cache_rows", dimensions: dimensions, factory: factory).record(entry.rows)
        }
        let now = Timestamp.now.microseconds
        for name in try store.registry.views.keys.sorted() {
            guard let last = try store.runs(view: name, limit: 1).first else { continue }
            Gauge(label: "larder_seconds_since_last_run", dimensions: [("view", name)], factory: factory)
                .record(Double(now - last.committedAt.microseconds) / 1e6)
        }
        return registry.emitToBuffer()
    }
}
