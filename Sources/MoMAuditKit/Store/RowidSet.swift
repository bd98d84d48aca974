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
