import Foundation
import LarderTestSupport
import Hummingbird
import HummingbirdTesting
import Larder
import LarderServer
import NIOCore
import Testing

/// Larder's routes mounted in someone else's Hummingbird application, next
/// to its own routes, through Hummingbird's live test client.
@Suite struct MountTests {
    @Test func larderRoutesLiveBesideTheAppsOwn() async throws {
        let store = try TestStore()
        let larder = try FeatureStore(path: store.path)
        let router = Router()
        router.get("hello") { _, _ in "world" }
        LarderRoutes(store: larder, options: .init(token: "t")).add(to: router)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await client.execute(uri: "/hello", method: .get) { #expect(String(buffer: $0.body) == "world") }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/views", method: .get) { #expect($0.status == .unauthorized) }
            let body = ByteBuffer(string: #"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1001]}}"#)
            try await client.execute(uri: "/v1/online-features", method: .post,
                                     headers: [.authorization: "Bearer t", .contentType: "application/json"], body: body) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""values":[0.112]"#))
            }
        }
    }
}
