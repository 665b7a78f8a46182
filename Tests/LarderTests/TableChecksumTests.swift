import Testing
@testable import Larder

/// ``TableChecksum`` hashes every row's values in the canonical form its
/// comment gives, however the rows are split into batches: compared with
/// the SHA-256 of that form assembled here byte by byte.
@Suite struct TableChecksumTests {
    @Test func theDigestIsTheSHA256OfEveryRowInCanonicalForm() {
        var ints = Column(type: .int64)
        ints.append(Int64(-2)); ints.appendNull(); ints.append(Int64.max)
        var doubles = Column(type: .float64)
        doubles.append(1.5); doubles.append(Double(bitPattern: 0x7FF8_0000_0000_0001)); doubles.appendNull() // a NaN with a payload
        var bools = Column(type: .bool)
        bools.append(true); bools.append(false); bools.appendNull()
        var strings = Column(type: .string)
        strings.append("é"); strings.append(""); strings.appendNull()
        var vectors = Column(type: .vector(dimension: 2))
        vectors.append(vector: [1, -0.5]); vectors.appendNull(); vectors.append(vector: [0, 2])
        let columns = [ints, doubles, bools, strings, vectors]

        var expected: [UInt8] = []
        func word(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { expected += $0 } }
        func word32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { expected += $0 } }
        // Row 0: every value present.
        expected += [1]; word(UInt64(bitPattern: -2))
        expected += [1]; word(1.5.bitPattern)
        expected += [1, 1]
        expected += [1]; word32(2); expected += [0xC3, 0xA9]
        expected += [1]; word32(Float(1).bitPattern); word32(Float(-0.5).bitPattern)
        // Row 1: a null integer, every NaN as one, false, the empty string, a null vector.
        expected += [0]
        expected += [1]; word(Double.nan.bitPattern)
        expected += [1, 0]
        expected += [1]; word32(0)
        expected += [0]
        // Row 2: nulls between.
        expected += [1]; word(UInt64(bitPattern: Int64.max))
        expected += [0, 0, 0]
        expected += [1]; word32(Float(0).bitPattern); word32(Float(2).bitPattern)

        var whole = TableChecksum()
        whole.add(columns)
        #expect(whole.rows == 3)
        #expect(whole.digest == SHA256.hash(expected))
        var split = TableChecksum()
        split.add(columns.map { $0.gathering([0]) })
        split.add(columns.map { $0.gathering([1, 2]) })
        #expect(split.rows == 3 && split.digest == whole.digest)
    }
}
