import Testing
@testable import Larder

/// Inputs that the fuzz targets in Fuzz/ found, fed through the same readers.
extension RawReaderTests {
    /// What reading CSV `bytes` gives: its output, or the one problem thrown.
    enum CSVOutcome: Equatable {
        case read(Output)
        case refused(ValidationProblem)
    }

    /// Reads CSV `bytes` in chunks of `chunkSize` bytes with a field limit of
    /// `maxFieldBytes`.
    func csvOutcome(_ bytes: [UInt8], chunkSize: Int, maxFieldBytes: Int) throws -> CSVOutcome {
        do {
            return .read(try readCSV(bytes: bytes, chunkSize: chunkSize, maxFieldBytes: maxFieldBytes))
        } catch LarderError.validation(let problems, total: 1) {
            return .refused(try #require(problems.first))
        }
    }

    /// Whether a field is too large must not depend on where the chunks the
    /// input is read in end. FuzzCSV found a malformed quoted field (`"u"`
    /// then text) refused as too large when read a byte at a time but as
    /// malformed when read at once; a field of exactly the limit before CRLF,
    /// or before its closing quote, was refused when a chunk ended there.
    @Test(arguments: [
        ("\r\n]\",\"u\"\r(0", "text after the closing quote"),
        ("a\r\nabcd\r\n", nil),
        ("a\n\"abcd\"\n", nil),
        ("a\n\"a\"\"b\"\r\n", nil),
        ("a\n\"ab\"cdefgh\n", "larger than 4 bytes"),
        ("a\n\"abcde", "larger than 4 bytes"),
        ("a\n\"abcd", "unterminated quoted field"),
    ] as [(String, String?)])
    func csvFieldLimitDoesNotDependOnChunks(text: String, refusal: String?) throws {
        let bytes = Array(text.utf8)
        let whole = try csvOutcome(bytes, chunkSize: ByteSource.defaultChunkSize, maxFieldBytes: 4)
        switch whole {
        case .read(let output): #expect(refusal == nil, "read \(output.rows)")
        case .refused(let problem): #expect(problem.reason.contains(refusal ?? "(no refusal)"), "\(problem)")
        }
        for chunkSize in 1 ... bytes.count {
            #expect(try csvOutcome(bytes, chunkSize: chunkSize, maxFieldBytes: 4) == whole, "chunk \(chunkSize)")
        }
    }
}
