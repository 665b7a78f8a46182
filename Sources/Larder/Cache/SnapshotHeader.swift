/// The header of a snapshot file: what it holds, for which view version,
/// up to which run, and where each of its arrays is.
///
/// **File layout** (little-endian; every number a 64-bit word, every array
/// starting at a multiple of 8 bytes):
///
/// | word | content |
/// |---|---|
/// | 0 | magic `LARDSNAP` |
/// | 1 | format version (low 32 bits), header length in bytes (high 32 bits) |
/// | 2, 3 | view version id and `created_at` (µs) in the registry |
/// | 4 | fingerprint of the view's schema (join key and feature names and types) |
/// | 5, 6 | the last run covered and its `committed_at` (0, 0: no run yet) |
/// | 7, 8 | rows, distinct keys |
/// | 9, 10 | hash slots, words per latest-row record |
/// | 11 | number of arrays, A |
/// | 12 … 12 + 3A − 1 | per array: byte offset, byte length, ``Checksum64`` |
/// | 12 + 3A | ``Checksum64`` of the words before it |
///
/// The arrays, in order: row starts (`UInt32`, keys + 1), hash table
/// (`UInt32`, slots), latest-row records (`UInt64`, keys × record words),
/// `event_timestamp`, `created_timestamp`, `__run_id` (`Int64`, rows each);
/// then three per join key column (keys rows) and three per feature column
/// (rows rows): validity bits (LSB first, 64 per word, as Arrow's), values
/// (`Int64`, `Double`, one byte per `Bool`, `Int64` offsets for `string`
/// and `bytes` — Arrow's large-utf8/large-binary layout —, `Float` × N for
/// vectors), and the text bytes (empty for other types). See
/// docs/architecture.md.
struct SnapshotHeader: Equatable {
    /// Where one array is.
    struct Placement: Equatable {
        /// Byte offset from the file's start (a multiple of 8).
        var offset: Int
        /// Length in bytes.
        var length: Int
        /// ``Checksum64`` of the array's bytes.
        var checksum: UInt64
    }

    /// `LARDSNAP` as a little-endian word.
    static let magic: UInt64 = 0x5041_4E53_4452_414C
    /// The format this code writes and reads.
    static let formatVersion: UInt32 = 1
    /// Arrays before the key and feature columns.
    static let fixedArrays = 6

    var viewID: Int64
    var viewCreatedAt: Int64
    var fingerprint: UInt64
    var lastRun: Int64
    var lastRunCommittedAt: Int64
    var rowCount: Int
    var keyCount: Int
    var slotCount: Int
    var recordWords: Int
    var arrays: [Placement]

    /// The header's length in bytes for `arrays` arrays.
    static func byteCount(arrays: Int) -> Int { (13 + 3 * arrays) * 8 }

    /// The header as words, its checksum last.
    func encoded() -> [UInt64] {
        var words: [UInt64] = [SnapshotHeader.magic,
                               UInt64(SnapshotHeader.formatVersion) | UInt64(SnapshotHeader.byteCount(arrays: arrays.count)) << 32,
                               UInt64(bitPattern: viewID), UInt64(bitPattern: viewCreatedAt), fingerprint,
                               UInt64(bitPattern: lastRun), UInt64(bitPattern: lastRunCommittedAt),
                               UInt64(rowCount), UInt64(keyCount), UInt64(slotCount), UInt64(recordWords), UInt64(arrays.count)]
        for array in arrays { words += [UInt64(array.offset), UInt64(array.length), array.checksum] }
        words.append(words.withUnsafeBytes { Checksum64.of($0) })
        return words
    }

    /// Why a file is not a usable snapshot.
    enum Problem: Error, CustomStringConvertible {
        case tooShort, badMagic, unsupportedVersion(UInt32), badChecksum, inconsistent(String)

        var description: String {
            switch self {
            case .tooShort: "shorter than its header (truncated)"
            case .badMagic: "not a Larder snapshot (wrong magic number)"
            case .unsupportedVersion(let v): "snapshot format \(v), this Larder reads format \(SnapshotHeader.formatVersion)"
            case .badChecksum: "header checksum does not match (damaged)"
            case .inconsistent(let what): "inconsistent header: \(what)"
            }
        }
    }

    /// The header at the start of `region`, checked: magic, version, its
    /// checksum, and every array within the file and 8-byte aligned.
    static func decode(_ region: Region) -> Result<SnapshotHeader, Problem> {
        let size = region.byteCount
        guard size >= byteCount(arrays: 0) else { return .failure(.tooShort) }
        let words = region.pointer(at: 0, as: UInt64.self)
        guard words[0] == magic else { return .failure(.badMagic) }
        let version = UInt32(truncatingIfNeeded: words[1]), headerBytes = Int(words[1] >> 32)
        guard version == formatVersion else { return .failure(.unsupportedVersion(version)) }
        let arrayCount = Int(truncatingIfNeeded: words[11])
        guard arrayCount >= 0, arrayCount < 1 << 20, headerBytes == byteCount(arrays: arrayCount) else { return .failure(.inconsistent("header length")) }
        guard headerBytes <= size else { return .failure(.tooShort) }
        let checked = UnsafeRawBufferPointer(start: region.base, count: headerBytes - 8)
        guard Checksum64.of(checked) == words[headerBytes / 8 - 1] else { return .failure(.badChecksum) }
        var arrays: [Placement] = []
        for a in 0..<arrayCount {
            let offset = Int(truncatingIfNeeded: words[12 + 3 * a]), length = Int(truncatingIfNeeded: words[13 + 3 * a])
            guard offset >= headerBytes, offset % 8 == 0, length >= 0, offset <= size, length <= size - offset else {
                return .failure(length > 0 && offset + length > size ? .tooShort : .inconsistent("array \(a) outside the file"))
            }
            arrays.append(Placement(offset: offset, length: length, checksum: words[14 + 3 * a]))
        }
        func int(_ w: Int) -> Int { Int(truncatingIfNeeded: words[w]) }
        let header = SnapshotHeader(viewID: Int64(bitPattern: words[2]), viewCreatedAt: Int64(bitPattern: words[3]), fingerprint: words[4],
                                    lastRun: Int64(bitPattern: words[5]), lastRunCommittedAt: Int64(bitPattern: words[6]),
                                    rowCount: int(7), keyCount: int(8), slotCount: int(9), recordWords: int(10), arrays: arrays)
        guard header.rowCount >= 0, header.keyCount >= 0, header.keyCount <= header.rowCount, header.rowCount <= ViewSnapshot.maxRows,
              header.slotCount > 0, header.slotCount & (header.slotCount - 1) == 0, header.slotCount >= header.keyCount * 2 else {
            return .failure(.inconsistent("row, key or slot counts"))
        }
        return .success(header)
    }

    /// The fingerprint of `view`'s schema: what a snapshot's columns must match.
    static func fingerprint(of view: FeatureView) -> UInt64 {
        var text = view.joinKeys.map { "\($0.name):\($0.type)" }.joined(separator: ",") + "|"
        text += view.features.map { "\($0.name):\($0.type)" }.joined(separator: ",")
        return text.withUTF8 { Checksum64.of(UnsafeRawBufferPointer($0)) }
    }
}
