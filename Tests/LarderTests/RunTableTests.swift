import Testing
@testable import Larder

/// The cache's run table: appending a run shares the runs before it
/// instead of copying them, and every table keeps answering for its own runs.
@Suite struct RunTableTests {
    @Test func appendingOneRunAtATimeSharesTheRunsBefore() {
        var tables = [RunTable()]
        for id in Int64(1)...1_000 {
            tables.append(tables.last!.appending(ids: [id], committedAt: [id * 10]))
        }
        let copies = zip(tables, tables.dropFirst()).count { !$1.sharesColumns(with: $0) }
        #expect(copies <= 11, "columns grow by doubling: \(copies) copies for 1,000 runs")
        for (n, table) in tables.enumerated() {
            #expect(table.count == n && table.maxID == Int64(n) && table.lastCommittedAt == Int64(n) * 10)
            #expect(table.latestCommit == (n == 0 ? .min : Int64(n) * 10))
        }
        #expect(tables[500].commitTime(of: 500) == 5_000 && tables[500].commitTime(of: 501) == .max)
        #expect(tables[1_000].commitTime(of: 1) == 10 && tables[1_000].commitTime(of: 1_000) == 10_000)
    }

    @Test func appendingToAnOlderTableCopiesAndLeavesTheLongerOneAlone() {
        let short = RunTable().appending(ids: [1, 2], committedAt: [10, 20])
        let long = short.appending(ids: [3], committedAt: [30])
        let other = short.appending(ids: [5], committedAt: [50])
        #expect(long.sharesColumns(with: short) && !other.sharesColumns(with: short))
        #expect(long.commitTime(of: 3) == 30 && long.commitTime(of: 5) == .max)
        #expect(other.commitTime(of: 5) == 50 && other.commitTime(of: 3) == .max, "ids with a hole: found by binary search")
        #expect(short.count == 2 && short.commitTime(of: 3) == .max)
    }
}
