import Hummingbird
import Larder

extension LarderRoutes {
    /// `POST /v1/online-features`: the features of the request's entities
    /// now, in the JSON shape of semantics §8 (Feast's feature server).
    func online(_ request: Request) async throws -> Response {
        guard LarderRoutes.mediaType(request).map({ $0 == "application/json" }) ?? true else {
            throw ServerError.unsupportedMediaType(LarderRoutes.mediaType(request), accepted: ["application/json"])
        }
        let (shape, entities) = try OnlineRequest.parse(RequestJSON.decode(try await body(request), what: "the body"),
                                                        maxEntities: options.maxEntities)
        let reader = try await readers.reader(shape)
        let frame = try entities.frame(joinKeys: reader.joinKeys)
        metrics.onlineEntities(frame.rowCount)
        return Response.json(try reader.read(entities: frame).json(entities: frame))
    }
}

/// The parts of an online request's body: `features` (a list of
/// references) or `feature_set`, `entities` (join key → values), and
/// `full_feature_names`.
enum OnlineRequest {
    /// The entities of a request: one list of values per key name.
    struct Entities {
        var columns: [String: [RequestJSON]]

        /// The entities as a frame of `joinKeys`, typed by the library's one
        /// rule for JSON entities (``EntityRows/parse(json:joinKeys:)``).
        func frame(joinKeys: [JoinKey]) throws(LarderError) -> FeatureFrame {
            let json = JSONValue.object(columns.mapValues { .array($0.map(\.value)) }).rendered
            return try EntityRows.parse(json: Array(json.utf8), joinKeys: joinKeys)
        }
    }

    /// The shape and entities of `body`.
    ///
    /// - Throws: a 400 ``ServerError`` naming what is missing or malformed.
    static func parse(_ body: RequestJSON, maxEntities: Int) throws(ServerError) -> (ReaderCache.Shape, Entities) {
        guard case .object(let fields) = body else { throw .badRequest("the body is \(body.kind), not an object") }
        for key in fields.keys where !["features", "feature_set", "feature_service", "entities", "full_feature_names"].contains(key) {
            throw .badRequest("unknown field \"\(key)\"; the fields are features | feature_set, entities, full_feature_names")
        }
        var shape = ReaderCache.Shape(features: nil, featureSet: nil, fullNames: false)
        switch fields["full_feature_names"] {
        case nil, .null?: break
        case .bool(let b)?: shape.fullNames = b
        case let other?: throw .badRequest("full_feature_names is \(other.kind), not a boolean")
        }
        switch (fields["features"], fields["feature_set"] ?? fields["feature_service"]) {
        case (.array(let items)?, nil):
            guard !items.isEmpty else { throw .badRequest("features is empty") }
            shape.features = try items.enumerated().map { i, item throws(ServerError) -> String in
                guard case .string(let s) = item else { throw .badRequest("features[\(i)] is \(item.kind), not a reference such as \"view:feature\"") }
                return s
            }
        case (nil, .string(let set)?): shape.featureSet = set
        case (nil, nil): throw .badRequest("give features (a list of references) or feature_set (a name)")
        case (_?, _?): throw .badRequest("give features or feature_set, not both")
        case (let features?, nil): throw .badRequest("features is \(features.kind), not an array of references")
        case (nil, let set?): throw .badRequest("feature_set is \(set.kind), not a name")
        }
        guard case .object(let entities)? = fields["entities"] else {
            throw .badRequest("entities is \(fields["entities"]?.kind ?? "missing"); give an object of join key → list of values")
        }
        guard !entities.isEmpty else { throw .badRequest("entities is empty") }
        var columns: [String: [RequestJSON]] = [:]
        var count: Int?
        for (name, list) in entities.sorted(by: { $0.key < $1.key }) {
            guard case .array(let values) = list else { throw .badRequest("entities.\(name) is \(list.kind), not a list of values") }
            guard !values.isEmpty else { throw .badRequest("entities.\(name) is empty") }
            guard values.count <= maxEntities else { throw .badRequest("entities.\(name) has \(values.count) values; at most \(maxEntities) per request") }
            if let count, count != values.count {
                throw .badRequest("entities.\(name) has \(values.count) values, but the other keys have \(count); every key needs one per entity")
            }
            count = values.count
            columns[name] = values
        }
        return (shape, Entities(columns: columns))
    }
}
