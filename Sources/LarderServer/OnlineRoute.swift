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
    /// without `as_of` whose shape was seen before touches no SQLite and
    /// stays on the event loop; one with `as_of` reads through the store on
    /// NIO's thread pool.
    func online(_ request: Request) async throws -> Response {
        guard LarderRoutes.mediaType(request).map({ $0 == "application/json" }) ?? true else {
            throw ServerError.unsupportedMediaType(LarderRoutes.mediaType(request), accepted: ["application/json"])
        }
        let parsed = try await bodyBuffer(request).withUnsafeReadableBytes { bytes throws(ServerError) in
            try OnlineRequest.parse(bytes, maxEntities: options.maxEntities)
        }
        let reader = try await readers.reader(parsed.shape)
        let frame = try EntityRows.frame(parsed.entities, joinKeys: reader.joinKeys)
        metrics.onlineEntities(frame.rowCount)
        let result: OnlineResult
        if let asOf = parsed.asOf {
            let (store, shape) = (store, parsed.shape)
            result = try await NIOThreadPool.singleton.runIfActive {
                try store.onlineFeatures(entities: frame, features: shape.references(in: store), fullNames: shape.fullNames, asOf: asOf)
            }
        } else {
            result = try reader.read(entities: frame)
        }
        var out: [UInt8] = []
        result.writeJSON(entities: frame, into: &out)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: out)))
    }
}
