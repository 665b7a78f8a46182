import Foundation
import Larder
import Testing

@Suite struct CorruptStoreCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.file("corrupt.db") }

    /// Makes a store with the example definitions, then runs `sql` on it
    /// directly, as a hand edit or a damaged file would.
    func corruptStore(_ sql: String) throws {
        let defs = try dir.write("defs.yaml", exampleDefinitions)
        #expect(try CLI.run(["apply", defs, "--store", store]).status == 0)
        try Connection(path: store).execute(sql)
    }

    @Test func unknownFeatureTypeIsAStoreError() throws {
        try corruptStore("UPDATE features SET type = 'float128' WHERE name = 'conv_rate'")
        for arguments in [["list"], ["describe", "driver_stats"], ["runs", "driver_stats"]] {
            let result = try CLI.run(arguments + ["--store", store])
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr == "error: \(store): corrupt store: table features, row driver_stats@1:conv_rate, column type: unknown feature type \"float128\"\n")
        }
    }

    @Test func badJSONIsAStoreErrorNotADecodingError() throws {
        try corruptStore("UPDATE view_versions SET tags = '{'")
        let result = try CLI.run(["list", "--store", store])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(store): corrupt store: table view_versions, row driver_stats@1, column tags: expected a JSON object of strings, found \"{\""))
        #expect(!result.stderr.contains("DecodingError"))
    }
}
