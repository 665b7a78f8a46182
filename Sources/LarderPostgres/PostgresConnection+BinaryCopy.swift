import Logging
import NIOCore
import PostgresNIO

extension PostgresConnection {
    /// Runs `COPY table (columns…) FROM STDIN WITH (FORMAT binary)` and sends
    /// `data` (``CopyRows``) as its input.
    ///
    /// postgres-nio (1.33.2) offers `copyFrom` in text format only, but it
    /// builds the statement as `COPY "<table>"(<"column">,…) FROM STDIN WITH
    /// (FORMAT text)` with the table name inserted as passed (documented),
    /// never looks at the format the server's CopyInResponse announces, and
    /// sends the bytes written as they are. So the table argument here
    /// closes the quoted name itself, names the columns and the binary
    /// format, and ends in a comment that swallows the rest:
    /// `name" ("c1", …) FROM STDIN WITH (FORMAT binary) --`. Should
    /// postgres-nio change how it builds the statement, the server would
    /// read the binary data as text and refuse it (`BinaryCopyTests`).
    ///
    /// - Throws: the server's error (a duplicate key, SQLSTATE 23505, among them).
    func copyBinary(into table: String, columns: [String], data: ByteBuffer, logger: Logger) async throws {
        try await copyFrom(table: PostgresConnection.binaryCopyTarget(table: table, columns: columns), logger: logger) { writer in
            try await writer.write(data)
        }
    }

    /// The `table` argument of `copyFrom` that makes its statement a binary
    /// `COPY` into `table`'s `columns` (see ``copyBinary(into:columns:data:logger:)``);
    /// every name quoted, its `"` doubled.
    static func binaryCopyTarget(table: String, columns: [String]) -> String {
        func escaped(_ name: String) -> String { name.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") }
        let quotedColumns = columns.map { "\"\(escaped($0))\"" }.joined(separator: ", ")
        return "\(escaped(table))\" (\(quotedColumns)) FROM STDIN WITH (FORMAT binary) --"
    }
}
