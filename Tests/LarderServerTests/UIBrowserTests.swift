import Foundation
import LarderTestSupport
import Testing

/// The web UI in a real browser: headless Chromium loads every page with
/// no console error, the DOM holds the names, figures and charts, and a
/// screenshot of each page (at 1280 px, and some at phone width) is drawn.
/// Skipped only when Chromium is missing outside CI; in CI it must run.
@Suite(.serialized, .enabled(if: Chromium.shouldRun, "chromium not found (apt-get install chromium, or set LARDER_CHROMIUM); set CI to require it"))
final class UIBrowserTests {
    let fixture: UIFixture
    let server: ServerProcess
    let profile = TemporaryDirectory()
    /// Where screenshots go: `$LARDER_UI_SCREENSHOTS` (docs/ui.md's images come from there), or a temporary folder.
    let screenshots: String

    init() throws {
        fixture = try UIFixture()
        server = try ServerProcess(path: fixture.path, directory: fixture.dir, extra: fixture.serveArguments)
        screenshots = ProcessInfo.processInfo.environment["LARDER_UI_SCREENSHOTS"] ?? fixture.dir.file("screenshots")
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)
    }

    /// A page, the texts its DOM must hold, and the fewest `<svg` elements it draws.
    struct Expected {
        let name: String
        let path: String
        let texts: [String]
        let charts: Int
    }

    static let pages: [Expected] = [
        Expected(name: "catalog", path: "/ui/", texts: ["Catalog", "driver_stats", "driver_daily", "driver_ranking", "+trips_today"], charts: 0),
        Expected(name: "search", path: "/ui/?q=trips", texts: ["matches for “trips”", "driver_daily"], charts: 0),
        Expected(name: "view", path: "/ui/views/driver_stats?version=2",
                 texts: ["driver_stats v2", "1,200 in 3 runs", "newest event time", "run 4", "&lt;script&gt;", "Rows written per run"], charts: 1),
        Expected(name: "view-ledger", path: "/ui/views/driver_daily", texts: ["driver_daily v1", "Ledger of driver_daily v1", "gap (dashed outline)"], charts: 2),
        Expected(name: "run", path: "/ui/views/driver_stats/runs/4", texts: ["Run 4 of driver_stats v2", "conv_rate", "400"], charts: 0),
        Expected(name: "feature-numeric", path: "/ui/views/driver_stats/features/conv_rate?version=2",
                 texts: ["Distribution of conv_rate", "Quantiles", "mean per run", "null rate (%) per run"], charts: 6),
        Expected(name: "feature-string", path: "/ui/views/driver_stats/features/city",
                 texts: ["Most frequent values of city", "marseille", "distinct values (estimate) per run"], charts: 3),
        Expected(name: "drift", path: "/ui/views/driver_stats/drift",
                 texts: ["Drift of driver_stats v2", "✕ Drifted: conv_rate, city", "conv_rate: baseline and current", "current (outlined, dashed)"], charts: 3),
        Expected(name: "drift-manifest", path: "/ui/views/driver_stats/drift?manifest=train.json",
                 texts: ["Baseline: the training set train.json, runs 2 ·", "✕ Drifted: conv_rate, city", "or a training set"], charts: 3),
        Expected(name: "ledger", path: "/ui/ledger", texts: ["Backfill ledger", "failed (hatched, ✕)", "no trips between"], charts: 1),
        Expected(name: "not-found", path: "/ui/views/nope", texts: ["Not found", "nope"], charts: 0),
    ]

    /// One browser session over one store: each page in turn, then two at phone width.
    @Test func everyPageLoadsInChromium() throws {
        for page in UIBrowserTests.pages { try check(page) }
        for (name, path) in [("catalog", "/ui/"), ("feature-numeric", "/ui/views/driver_stats/features/conv_rate")] {
            let png = "\(screenshots)/ui-\(name)-phone.png"
            try Chromium.screenshot("http://127.0.0.1:\(server.port)\(path)", to: png, width: 390, height: 844, profile: profile)
            let facts = try PNGFacts(path: png)
            #expect(facts.width == 390 && facts.distinctBytes > 16)
        }
    }

    private func check(_ page: Expected) throws {
        let url = "http://127.0.0.1:\(server.port)\(page.path)"
        let load = try Chromium.load(url, profile: profile)
        #expect(load.console.isEmpty, "console messages on \(page.path): \(load.console)")
        for text in page.texts { #expect(load.dom.contains(text), "\(page.path) lacks \(text)") }
        let svgs = load.dom.components(separatedBy: "<svg").count - 1
        #expect(svgs >= page.charts, "\(page.path) draws \(svgs) SVGs, expected at least \(page.charts)")
        #expect(!load.dom.contains("<title>pwned</title>"), "a description's script ran (it sets the title)")
        let figures = load.dom.components(separatedBy: "role=\"img\"").count - 1
        #expect(figures == load.dom.components(separatedBy: "<figure").count - 1, "every chart is labelled")

        let png = "\(screenshots)/ui-\(page.name).png"
        try Chromium.screenshot(url, to: png, profile: profile)
        let facts = try PNGFacts(path: png)
        #expect(facts.width == 1280 && facts.height == 1000)
        #expect(facts.distinctBytes > 16, "the screenshot of \(page.path) looks blank (\(facts.distinctBytes) byte values)")
    }
}
