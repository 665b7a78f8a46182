import Hummingbird
import Larder
import NIOPosix

extension LarderRoutes {
    /// `POST /v1/push/{view}`: the body (CSV, JSON Lines, a JSON object
    /// of columns or Arrow IPC, each read by the library's ingest readers) as one
    /// validated, atomic run through the same path as `larder backfill`; answers the run id and row count, or 400 with the
    /// problem lines (nothing is then written).
    func push(_ request: Request, view: String) async throws -> Response {
        var options = IngestOptions()
        options.format = try LarderRoutes.bodyFormat(request, accepted: LarderRoutes.pushTypes)
        options.assumeUTC = try LarderRoutes.flag(request, "assume_utc")
        options.allowMissingFeatures = try LarderRoutes.flag(request, "allow_missing_features")
        options.ignoreUnknownColumns = try LarderRoutes.flag(request, "ignore_unknown_columns")
        let bytes = try await body(request)
        guard !bytes.isEmpty else { throw ServerError.badRequest("the body is empty") }
        let (store, ingest) = (store, options)
        let result = try await NIOThreadPool.singleton.runIfActive {
            try store.backfill(view: view, input: .memory(name: "push", bytes: bytes), options: ingest)
        }
        metrics.pushRows(result.rowsWritten)
        return Response.json(JSONValue.object([
            "run_id": result.runID.map { .int(Int($0)) } ?? .null, "view": .string(result.view), "version": .int(result.version),
            "rows": .int(result.rowsWritten),
        ]).rendered)
    }

    /// The boolean query parameter `name` (`true`/`false`, `1`/`0`), false when absent.
    ///
    /// - Throws: a 400 ``ServerError`` for another value.
    static func flag(_ request: Request, _ name: String) throws(ServerError) -> Bool {
        switch request.uri.queryParameters[name[...]].map(String.init) {
        case nil, "false"?, "0"?: return false
        case "true"?, "1"?, ""?: return true
        case let other?: throw .badRequest("query parameter \(name)=\(other) is not true or false")
        }
    }
}
