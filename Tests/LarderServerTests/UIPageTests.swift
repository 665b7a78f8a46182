import Foundation
import LarderTestSupport
import Testing

/// The web UI over HTTP: links reach everything, descriptions are escaped,
/// hostile queries and unknown names get their 4xx page, and the login.
@Suite(.serialized)
final class UIPageTests {
    let fixture: UIFixture
    let server: ServerProcess

    init() throws {
        fixture = try UIFixture()
        server = try ServerProcess(path: fixture.path, directory: fixture.dir, extra: fixture.serveArguments)
    }

    /// The `href`s of a page's links and forms that stay in the UI, HTML entities decoded.
    static func links(_ html: String) -> [String] {
        html.components(separatedBy: "href=\"").dropFirst().compactMap { part in
            let link = String(part.prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")
            return link.hasPrefix("/ui/") ? link.components(separatedBy: "#")[0] : nil
        }
    }

    @Test func followingLinksFromTheCatalogReachesEveryViewRunAndFeature() throws {
        var seen: Set<String> = [], queue = ["/ui/"], pages: [String: String] = [:]
        while let path = queue.popLast(), seen.count < 400 {
            guard seen.insert(path).inserted else { continue }
            let reply = try server.request("GET", path)
            #expect(reply.status == 200, "\(path): \(reply.status) \(reply.text.prefix(300))")
            #expect(reply.headers["content-type"] == "text/html; charset=utf-8")
            pages[path] = reply.text
            queue += UIPageTests.links(reply.text).filter { !seen.contains($0) }
        }
        let paths = Set(pages.keys.map { $0.components(separatedBy: "?")[0] })
        for view in ["driver_stats", "driver_daily"] { #expect(paths.contains("/ui/views/\(view)"), "\(view) not reached") }
        #expect(seen.contains("/ui/views/driver_stats?version=1") && seen.contains("/ui/views/driver_stats?version=2"))
        for run in 1...9 { #expect(paths.contains { $0.hasSuffix("/runs/\(run)") }, "run \(run) not reached") }
        for feature in ["driver_stats/features/conv_rate", "driver_stats/features/city", "driver_stats/features/trips_today",
                        "driver_daily/features/trips", "driver_daily/features/km"] {
            #expect(paths.contains("/ui/views/\(feature)"), "\(feature) not reached")
        }
        #expect(paths.contains("/ui/views/driver_stats/drift") && paths.contains("/ui/ledger"))
    }

    @Test func catalogShowsVersionsChangesSetsAndSearch() throws {
        let catalog = try server.request("GET", "/ui/").text
        #expect(catalog.contains("driver_stats") && catalog.contains("driver_daily") && catalog.contains("driver_ranking"))
        #expect(catalog.contains("+trips_today, ~conv_rate description"), "the change from v1 to v2")
        #expect(catalog.contains(":conv_rate</a>") && catalog.contains(":trips</a>") && catalog.contains("A driver of the fleet"), "the set's pins")
        let search = try server.request("GET", "/ui/?q=distance").text
        #expect(search.contains("driver_daily") && !search.contains("view-driver_stats"))
        #expect(search.contains("1 matches for “distance”"))
    }

    @Test func scriptInDescriptionsIsShownAsText() throws {
        for path in ["/ui/", "/ui/views/driver_stats", "/ui/views/driver_stats/features/conv_rate", "/ui/?q=%3Cscript%3E"] {
            let reply = try server.request("GET", path)
            #expect(reply.status == 200)
            #expect(!reply.text.lowercased().contains("<script"), "\(path) has a script element")
            #expect(!reply.text.contains("<img"), "\(path) has an img element")
            #expect(reply.headers["content-security-policy"]?.contains("default-src 'none'") == true)
        }
        let view = try server.request("GET", "/ui/views/driver_stats").text
        #expect(view.contains("Hourly &lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt; stats &amp; more"))
        #expect(view.contains("&lt;img src=x onerror=alert(1)&gt; conversion &lt;b&gt;rate&lt;/b&gt;"))
    }

    @Test func viewPageShowsFreshnessRunsAndLedger() throws {
        let page = try server.request("GET", "/ui/views/driver_stats").text
        #expect(page.contains("driver_stats v2") && page.contains("1,200 in 3 runs"))
        #expect(page.contains("2026-11-26T11:00:00Z"), "the newest event time")
        #expect(page.contains("run 4") && page.contains("Rows written per run") && page.contains("<svg"))
        #expect(page.contains("≥ 0, ≤ 1"), "conv_rate's expectations")
        let daily = try server.request("GET", "/ui/views/driver_daily").text
        #expect(daily.contains("Ledger of driver_daily v1"))
        #expect(daily.contains("failed: 2026-03-03T00:00:00Z/2026-03-04T00:00:00Z"), "the failed interval")
        #expect(daily.contains("gap: 2026-03-05T00:00:00Z/2026-03-06T00:00:00Z"), "the gap")
        let ledger = try server.request("GET", "/ui/ledger").text
        #expect(ledger.contains("no trips between 2026-03-03T00:00:00Z"))
    }

    @Test func featurePagesDrawTheSketches() throws {
        let numeric = try server.request("GET", "/ui/views/driver_stats/features/conv_rate?runs=2").text
        #expect(numeric.contains("Distribution of conv_rate") && numeric.contains("Over runs 2"))
        #expect(numeric.contains("null rate (%) per run") && numeric.contains("median (p50) per run"))
        #expect(numeric.components(separatedBy: "<rect class=\"series0\"").count > 10, "histogram bars")
        let merged = try server.request("GET", "/ui/views/driver_stats/features/conv_rate?runs=2,3&last=2").text
        #expect(merged.contains("Over runs 2, 3") && merged.contains("Over the last 2 runs"))
        let strings = try server.request("GET", "/ui/views/driver_stats/features/city").text
        #expect(strings.contains("Most frequent values of city") && strings.contains("marseille"))
    }

    @Test func driftPageFlagsTheDriftedRun() throws {
        let page = try server.request("GET", "/ui/views/driver_stats/drift").text
        #expect(page.contains("Baseline: runs 2, 3 · current: runs 4"))
        #expect(page.contains("✕ Drifted: conv_rate, city"))
        #expect(page.contains("conv_rate: baseline and current") && page.contains("class=\"series1\""))
        let calm = try server.request("GET", "/ui/views/driver_stats/drift?baseline=2&current=3").text
        #expect(calm.contains("✓ No feature drifted."))
    }

    @Test func aTrainingSetManifestIsADriftBaseline() throws {
        let page = try server.request("GET", "/ui/views/driver_stats/drift").text
        #expect(page.contains("<select name=\"manifest\">") && page.contains("<option value=\"train.json\">train.json</option>"))
        #expect(!page.contains("notes.txt"), "only the folder's .json files are offered")
        let pinned = try server.request("GET", "/ui/views/driver_stats/drift?manifest=train.json&current=4")
        #expect(pinned.status == 200)
        // The manifest was read after run 2 committed: its baseline is run 2 alone, of the version it pinned.
        #expect(pinned.text.contains("Baseline: the training set train.json, runs 2 · current: runs 4"))
        #expect(pinned.text.contains("<option value=\"train.json\" selected=\"\">"), "the choice stays in the form")
        #expect(pinned.text.contains("✕ Drifted: conv_rate, city"))
        let calm = try server.request("GET", "/ui/views/driver_stats/drift?manifest=train.json&current=3").text
        #expect(calm.contains("✓ No feature drifted."))

        for (path, status) in [("/ui/views/driver_stats/drift?manifest=notes.txt", 404), ("/ui/views/driver_stats/drift?manifest=..%2Flarder.db", 404),
                               ("/ui/views/driver_stats/drift?manifest=%2Fetc%2Fpasswd", 404), ("/ui/views/driver_stats/drift?manifest=nope.json", 404),
                               ("/ui/views/driver_stats/drift?manifest=manifests%2Ftrain.json", 404),
                               ("/ui/views/driver_daily/drift?manifest=train.json", 400), ("/ui/views/driver_stats/drift?manifest=train.json&version=1", 400)] {
            let reply = try server.request("GET", path)
            #expect(reply.status == status, "\(path): \(reply.status) \(reply.text.prefix(200))")
        }
        let plain = try ServerProcess(path: fixture.path, directory: fixture.dir)
        #expect(try plain.request("GET", "/ui/views/driver_stats/drift?manifest=train.json").status == 404, "no folder, no manifests")
        #expect(!(try plain.request("GET", "/ui/views/driver_stats/drift").text.contains("<select")))
    }

    @Test func unknownNamesAndHostileQueriesGetTheirPage() throws {
        let cases: [(String, Int)] = [
            ("/ui/views/nope", 404), ("/ui/views/driver_stats?version=9", 404), ("/ui/views/driver_stats/features/nope", 404),
            ("/ui/views/driver_stats/runs/999", 404), ("/ui/views/driver_stats/runs/abc", 404), ("/ui/nothing/here", 404),
            ("/ui/views/%3Cscript%3Ealert(1)%3C%2Fscript%3E", 404),
            ("/ui/views/driver_stats?version=abc", 400), ("/ui/views/driver_stats?version=-1", 400),
            ("/ui/views/driver_stats?version=99999999999999999999", 400),
            ("/ui/views/driver_stats/features/conv_rate?last=0", 400), ("/ui/views/driver_stats/features/conv_rate?runs=%3Cb%3E", 400),
            ("/ui/views/driver_stats/drift?baseline=x..y", 400), ("/ui/views/driver_stats/drift?psi=NaN", 400),
            ("/ui/views/driver_stats/drift?baseline=77", 404),
            ("/ui/?q=" + String(repeating: "a", count: 600), 400), ("/ui/?" + String(repeating: "a=1&", count: 1200), 400),
        ]
        for (path, status) in cases {
            let reply = try server.request("GET", path)
            #expect(reply.status == status, "\(path.prefix(80)): \(reply.status) \(reply.text.prefix(200))")
            #expect(reply.headers["content-type"] == "text/html; charset=utf-8", "\(path.prefix(80))")
            #expect(!reply.text.contains("<script"), "\(path.prefix(80)) echoes markup")
        }
        #expect(try server.request("GET", "/healthz").status == 200, "still serving")
    }

    @Test func noUIFlagTurnsThePagesOff() throws {
        let plain = try ServerProcess(path: fixture.path, directory: fixture.dir, extra: ["--no-ui"])
        #expect(try plain.request("GET", "/ui/").status == 404)
        #expect(try plain.request("GET", "/v1/views").status == 200)
    }

    @Test func withATokenPagesNeedTheHeaderOrTheLoginCookie() throws {
        let tokenFile = try fixture.dir.write("token", "s3cret;token\n")
        let guarded = try ServerProcess(path: fixture.path, directory: fixture.dir, extra: ["--token-file", tokenFile])
        let anonymous = try guarded.request("GET", "/ui/views/driver_stats")
        #expect(anonymous.status == 401 && anonymous.text.contains("action=\"/ui/login\"") && anonymous.text.contains("value=\"/ui/views/driver_stats\""))
        #expect(try guarded.request("GET", "/ui/views/driver_stats", headers: ["Authorization": "Bearer s3cret;token"]).status == 200)
        #expect(try guarded.request("GET", "/ui/login").status == 200)

        func login(_ token: String, next: String) throws -> Reply {
            try guarded.request("POST", "/ui/login", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                body: Array("token=\(token)&next=\(next)".utf8))
        }
        let wrong = try login("s3cret%3Btoke", next: "%2Fui%2Fledger")
        #expect(wrong.status == 401 && wrong.headers["set-cookie"] == nil && wrong.text.contains("not the server"))
        let right = try login("s3cret%3Btoken", next: "%2Fui%2Fledger")
        #expect(right.status == 303 && right.headers["location"] == "/ui/ledger")
        let cookie = try #require(right.headers["set-cookie"])
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/ui"))
        #expect(!cookie.contains("s3cret"), "the cookie holds the token hex-encoded")
        let pair = String(cookie.split(separator: ";")[0])
        #expect(try guarded.request("GET", "/ui/ledger", headers: ["Cookie": pair]).status == 200)
        #expect(try guarded.request("GET", "/ui/ledger", headers: ["Cookie": pair.dropLast() + "0"]).status == 401)
        #expect(try guarded.request("GET", "/v1/views", headers: ["Cookie": pair]).status == 401, "the cookie is for the UI only")
        let away = try login("s3cret%3Btoken", next: "%2F%2Fevil.example%2Fui%2F")
        #expect(away.headers["location"] == "/ui/", "never redirected off the UI")
    }
}
