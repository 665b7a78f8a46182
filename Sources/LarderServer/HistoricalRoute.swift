import Foundation
import HTTPTypes
import Hummingbird
import Larder
import NIOPosix

extension LarderRoutes {
    /// `POST /v1/historical-features`: the spine in the body (CSV, JSON
    /// Lines or Arrow IPC, stream or file), the features in the query (`features=` a comma-separated
    /// list, or `feature_set=`) or the headers `X-Larder-Features`,
    /// `X-Larder-Feature-Set`; `full_names`, `as_of` and `assume_utc` in the
    /// query. The answer is streamed in the format `Accept` asks for, 65,536
    /// rows at a time.
    func historical(_ request: Request) async throws -> Response {
        let (format, contentType) = try LarderRoutes.answerFormat(request.headers[.accept])
        var spineOptions = IngestOptions()
        spineOptions.format = try LarderRoutes.bodyFormat(request, accepted: LarderRoutes.spineTypes)
        spineOptions.assumeUTC = try LarderRoutes.flag(request, "assume_utc")
        let query = request.uri.queryParameters
        let list = query["features"].map(String.init) ?? request.headers[HTTPField.Name("X-Larder-Features")!]
        let set = query["feature_set"].map(String.init) ?? request.headers[HTTPField.Name("X-Larder-Feature-Set")!]
        let asOf = try query["as_of"].map { text throws(LarderError) in try Timestamp(parsing: String(text)) }
        let fullNames = try LarderRoutes.flag(request, "full_names")
        let spine = try await body(request)
        guard !spine.isEmpty else { throw ServerError.badRequest("the body is empty; send the spine") }
        let store = store
        let references = try store.featureReferences(list, featureSet: set)
        let training = TrainingSetRequest(rows: .spine(.memory(name: "spine", bytes: spine)), features: references, asOf: asOf,
                                          fullNames: fullNames, spineOptions: spineOptions)
        let channel = ChunkChannel()
        Task {
            do {
                _ = try await NIOThreadPool.singleton.runIfActive {
                    try store.streamTrainingSet(training, format: format) { bytes throws(LarderError) in try channel.send(bytes) }
                }
                channel.finish(nil)
            } catch {
                channel.finish(error)
            }
        }
        // The first chunk comes once the rows are retrieved and checked: until
        // then an error is still a 4xx answer.
        var iterator = channel.chunks.makeAsyncIterator()
        let first: ByteBuffer?
        do {
            first = try await iterator.next()
        } catch {
            channel.cancel()
            throw error
        }
        channel.sent()
        let rest = IteratorBox(iterator)
        return Response(status: .ok, headers: [.contentType: contentType], body: ResponseBody { writer in
            do {
                if let first { try await writer.write(first) }
                while let chunk = try await rest.iterator.next() {
                    try await writer.write(chunk)
                    channel.sent()
                }
                try await writer.finish(nil)
            } catch {
                channel.cancel()
                throw error
            }
        })
    }

    /// The format and media type of the answer `accept` asks for: the first
    /// of its types that Larder writes (`*/*` and none mean CSV).
    ///
    /// - Throws: a 406 ``ServerError`` when it asks for none of them.
    static func answerFormat(_ accept: String?) throws(ServerError) -> (OutputFormat, String) {
        guard let accept else { return (.csv, "text/csv") }
        for item in accept.split(separator: ",") {
            switch mediaType(item) {
            case "text/csv", "text/*", "*/*": return (.csv, "text/csv")
            case let type where jsonLinesTypes.contains(type): return (.jsonl, "application/x-ndjson")
            case "application/vnd.apache.arrow.stream": return (.arrow, "application/vnd.apache.arrow.stream")
            default: continue
            }
        }
        throw ServerError(.notAcceptable, code: "not_acceptable",
                          "Accept \"\(accept)\" names no format written here; ask for text/csv, application/x-ndjson or application/vnd.apache.arrow.stream")
    }
}
