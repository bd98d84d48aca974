/// A set of rowids as one bit each (rowids of a table are small positive
/// integers, dense after a load): what a cumulative delivery touched without
/// holding its ids in memory. 10 M records take 1.25 MB.
struct RowidSet {
  private var words: [UInt64] = []
  private(set) var count = 0

  mutating func insert(_ rowid: Int64) {
    guard rowid >= 0 else { return }
    let w = Int(rowid >> 6)
    if w >= words.count { words.append(contentsOf: repeatElement(0, count: max(w + 1 - words.count, words.count))) }
    let bit: UInt64 = 1 << UInt64(rowid & 63)
    if words[w] & bit == 0 {
      words[w] |= bit
      count += 1
    }
  }

  /// Every rowid in the set, in order.
  func forEach(_ body: (Int64) throws -> Void) rethrows {
    for (w, word) in words.enumerated() where word != 0 {
      var bits = word
      while bits != 0 {
        let b = bits.trailingZeroBitCount
        try body(Int64(w << 6 | b))
        bits &= bits - 1
      }
    }
  }

  func contains(_ rowid: Int64) -> Bool {
    guard rowid >= 0 else { return false }
    let w = Int(rowid >> 6)
    return w < words.count && words[w] & (1 << UInt64(rowid & 63)) != 0
  }
}

/// A RowidSet for each kind of record. Each record table numbers its rows
/// from 1, so a procedure and an event of one file can share a rowid: a set
/// over a mixed file (XML) must be kept per kind.
struct RowidSets {
  private var sets = [RowidSet](repeating: RowidSet(), count: RecordKind.allCases.count)

  @inline(__always) private static func index(_ kind: RecordKind) -> Int {
    switch kind {
    case .procedure: return 0
    case .event: return 1
    case .result: return 2
    case .exception: return 3
    }
  }

  @inline(__always) mutating func insert(_ kind: RecordKind, _ rowid: Int64) { sets[Self.index(kind)].insert(rowid) }
  @inline(__always) func contains(_ kind: RecordKind, _ rowid: Int64) -> Bool { sets[Self.index(kind)].contains(rowid) }
  subscript(kind: RecordKind) -> RowidSet { sets[Self.index(kind)] }
}
