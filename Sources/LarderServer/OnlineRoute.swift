import Hummingbird
import Larder
import NIOCore
import NIOPosix

extension LarderRoutes {
    /// `POST /v1/online-features`: the features of the request's entities
    /// now (or at `as_of`), in the JSON shape of semantics §8 (Feast's
    /// feature server).
    ///
    /// The body is read once, straight from its bytes (``OnlineRequest``);
    /// the answer is written straight into the response's bytes. A request
    /// without `as_of` whose shape has a prepared reader touches no SQLite
    /// and stays on the event loop; one with `as_of`, or the first requests
    /// of a shape while its reader is prepared (``ReaderCache``), read
    /// through the store on NIO's thread pool.
    func online(_ request: Request) async throws -> Response {
        guard LarderRoutes.mediaType(request).map({ $0 == "application/json" }) ?? true else {
            throw ServerError.unsupportedMediaType(LarderRoutes.mediaType(request), accepted: ["application/json"])
        }
        let parsed = try await bodyBuffer(request).withUnsafeReadableBytes { bytes throws(ServerError) in
            try OnlineRequest.parse(bytes, maxEntities: options.maxEntities)
        }
        let frame: FeatureFrame, result: OnlineResult
        if parsed.asOf == nil, let reader = readers.reader(parsed.shape) {
            frame = try EntityRows.frame(parsed.entities, joinKeys: reader.joinKeys)
            result = try reader.read(entities: frame)
        } else {
            let (store, shape, entities, asOf) = (store, parsed.shape, parsed.entities, parsed.asOf)
            (frame, result) = try await NIOThreadPool.singleton.runIfActive {
                let features = try shape.references(in: store)
                let frame = try EntityRows.frame(entities, joinKeys: store.joinKeys(of: features, fullNames: shape.fullNames))
                return (frame, try store.onlineFeatures(entities: frame, features: features, fullNames: shape.fullNames, asOf: asOf))
            }
        }
        metrics.onlineEntities(frame.rowCount)
        var out: [UInt8] = []
        result.writeJSON(entities: frame, into: &out)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: out)))
    }
}
