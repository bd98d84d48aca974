import Foundation

/// One CSV record as read: decoded fields, the physical line it starts on, the
/// raw text (shortened) for a reject, and a problem that rejects it.
package struct CSVRecord: Sendable {
  package var fields: [String]
  package var line: Int
  package var raw: String
  package var problem: CSVRowProblem?
}

package struct CSVRowProblem: Equatable, Sendable {
  package enum Kind: Equatable, Sendable {
    case quoteInUnquotedField, textAfterClosingQuote, fieldTooLong, nulCharacter
  }
  package var kind: Kind
  /// Zero-based column of the field to blame.
  package var column: Int
}

/// A streaming, byte-level RFC 4180 reader (registry-export.md, "CSV dialect").
///
/// Written by hand rather than using a CSV package: the packages on this
/// machine read 10–26 MB/s and one holds the whole file in memory
/// (PLATFORM.md), and none reports the row-level recovery the spec asks for
/// (reject the row, resume at the next line).
///
/// - LF, CRLF or a lone CR end a record; quoted fields may hold commas, `""`
///   and line ends.
/// - A quote inside an unquoted field, or text after a closing quote, marks
///   the row as malformed; reading resumes after the next line end.
/// - Empty lines are skipped; a quoted field open at end of file throws.
/// - A field is stored up to `maxFieldBytes` × 3 + 4 bytes (enough to decide,
///   after decoding, whether it is over the limit), so memory stays bounded
///   whatever the input.
package struct CSVReader {
  package let path: String
  package let encoding: TextEncoding
  /// The field separator (a profile's `delimiter`): `,` `|` `;` or tab.
  package let delimiter: UInt8
  package var skipBOM = true
  package static let rawLimit = 4096

  package init(path: String, encoding: TextEncoding, delimiter: UInt8 = UInt8(ascii: ",")) {
    self.path = path
    self.encoding = encoding
    self.delimiter = delimiter
  }

  package enum ReadError: Error, Equatable {
    case openQuoteAtEndOfFile(line: Int)
  }

  enum State { case fieldStart, unquoted, quoted, quoteInQuoted, skipToLineEnd }

  /// Calls `body` for each record in file order.
  package func forEachRecord(_ body: (CSVRecord) throws -> Void) throws {
    try forEachRecordView { try body($0.record) }
  }

  /// Calls `body` for each record in file order, as a view of the parser's
  /// buffers (valid during the call): no String is made for a field until
  /// it is asked for.
  package func forEachRecordView(_ body: (borrowing CSVRecordView) throws -> Void) throws {
    guard let fh = FileHandle(forReadingAtPath: path) else { throw IngestError.inputMissing(path: path) }
    defer { try? fh.close() }
    var parser = Parser(encoding: encoding, delimiter: delimiter)
    var first = true
    while true {
      let chunk = fh.readData(ofLength: 1 << 20)
      if chunk.isEmpty { break }
      try chunk.withUnsafeBytes { raw in
        var buf: UnsafeBufferPointer<UInt8> = raw.bindMemory(to: UInt8.self)
        if first, skipBOM, buf.starts(with: [0xEF, 0xBB, 0xBF]) {
          buf = UnsafeBufferPointer<UInt8>(rebasing: buf[(buf.startIndex + 3)...])
        }
        first = false
        try parser.feed(buf, body)
      }
    }
    try parser.finish(body)
  }

  /// Reads records from bytes in memory (tests, fuzzing).
  package static func records(
    in bytes: [UInt8], encoding: TextEncoding = .utf8, delimiter: UInt8 = UInt8(ascii: ",")
  ) throws -> [CSVRecord] {
    var parser = Parser(encoding: encoding, delimiter: delimiter)
    var out: [CSVRecord] = []
    var b = bytes[...]
    if b.starts(with: [0xEF, 0xBB, 0xBF]) { b = b.dropFirst(3) }
    try Array(b).withUnsafeBufferPointer { try parser.feed($0) { out.append($0.record) } }
    try parser.finish { out.append($0.record) }
    return out
  }

  struct Parser {
    let encoding: TextEncoding
    let delimiter: UInt8
    let fieldCap = FieldLimits.maxFieldBytes * 3 + 4
    var state = State.fieldStart
    var line = 1
    var prevCR = false
    var recordLine = 1
    var recordStarted = false
    /// The record's field bytes, one field after the other.
    var bytes: [UInt8] = []
    /// End offset in `bytes` of each finished field.
    var ends: [Int] = []
    var fieldStart = 0
    var fieldOverflow = false
    var fieldHasNUL = false
    var raw: [UInt8] = []
    var problem: CSVRowProblem? = nil

    init(encoding: TextEncoding, delimiter: UInt8) {
      self.encoding = encoding
      self.delimiter = delimiter
      bytes.reserveCapacity(4096)
      ends.reserveCapacity(64)
      raw.reserveCapacity(4096)
    }

    @inline(__always) mutating func appendRaw(_ c: UInt8) {
      if raw.count < CSVReader.rawLimit { raw.append(c) }
    }

    @inline(__always) mutating func appendField(_ c: UInt8) {
      if c == 0 { fieldHasNUL = true }
      if bytes.count - fieldStart < fieldCap { bytes.append(c) } else { fieldOverflow = true }
    }

    mutating func endField() {
      let column = ends.count
      if problem == nil {
        if fieldHasNUL {
          problem = CSVRowProblem(kind: .nulCharacter, column: column)
        } else if fieldOverflow || decodedTooLong() {
          problem = CSVRowProblem(kind: .fieldTooLong, column: column)
        }
      }
      // An over-long field reads as empty text.
      if let p = problem, p.kind == .fieldTooLong, p.column == column { bytes.removeSubrange(fieldStart...) }
      ends.append(bytes.count)
      fieldStart = bytes.count
      fieldOverflow = false
      fieldHasNUL = false
    }

    /// More than `maxFieldBytes` of UTF-8 after decoding. A field of at most
    /// a third of the limit cannot be (no byte decodes to more than three).
    @inline(__always) func decodedTooLong() -> Bool {
      let n = bytes.count - fieldStart
      if n * 3 <= FieldLimits.maxFieldBytes { return false }
      return encoding.decode(bytes[fieldStart...]).utf8.count > FieldLimits.maxFieldBytes
    }

    mutating func endRecord(_ body: (borrowing CSVRecordView) throws -> Void) throws {
      try deliver(body)
      // The view is gone: the buffers are ours alone again and are reused.
      bytes.removeAll(keepingCapacity: true)
      ends.removeAll(keepingCapacity: true)
      raw.removeAll(keepingCapacity: true)
      fieldStart = 0
      problem = nil
      recordStarted = false
      state = .fieldStart
    }

    @inline(never) func deliver(_ body: (borrowing CSVRecordView) throws -> Void) throws {
      try bytes.withUnsafeBufferPointer { b in
        try ends.withUnsafeBufferPointer { e in
          try raw.withUnsafeBufferPointer { r in
            try body(
              CSVRecordView(
                encoding: encoding, bytes: b, ends: e, gap: 0, line: recordLine, rawBytes: r, problem: problem,
                knownASCII: false))
          }
        }
      }
    }

    /// A plain record (no quote, no NUL, ASCII, its line end in this
    /// buffer, shorter than the raw-text limit) at `i`, at the start of a
    /// record: split on its commas where it lies, with no copy, and
    /// delivered. Returns the index of its line end, or nil when the record
    /// is not plain (the state machine reads it).
    @inline(__always) mutating func plainRecord(
      _ buf: UnsafeBufferPointer<UInt8>, at i: Int, _ body: (borrowing CSVRecordView) throws -> Void
    ) throws -> Int? {
      let n = buf.count
      var j = i
      let limit = min(n, i + CSVReader.rawLimit - 1)
      ends.removeAll(keepingCapacity: true)
      while j < limit {
        let c = buf[j]
        if c == delimiter {
          ends.append(j - i)
        } else if c == 0x0A || c == 0x0D {
          break
        } else if c == 0x22 || c == 0 || c >= 0x80 {
          ends.removeAll(keepingCapacity: true)
          return nil
        }
        j += 1
      }
      guard j < limit else {
        ends.removeAll(keepingCapacity: true)
        return nil
      }
      ends.append(j - i)
      recordLine = line
      let record = UnsafeBufferPointer(rebasing: buf[i..<j])
      try ends.withUnsafeBufferPointer { e in
        try body(
          CSVRecordView(
            encoding: encoding, bytes: record, ends: e, gap: 1, line: recordLine, rawBytes: record, problem: nil,
            knownASCII: true))
      }
      ends.removeAll(keepingCapacity: true)
      prevCR = false
      return j
    }

    /// Counts a physical line end; CRLF counts once.
    @inline(__always) mutating func countLineEnd(_ c: UInt8) {
      if c == 0x0D || !prevCR { line += 1 }
    }

    mutating func feed(_ buf: UnsafeBufferPointer<UInt8>, _ body: (borrowing CSVRecordView) throws -> Void) throws {
      var i = 0
      let n = buf.count
      while i < n {
        if state == .fieldStart, !recordStarted, buf[i] != 0x0A, buf[i] != 0x0D,
          let end = try plainRecord(buf, at: i, body)
        {
          i = end
          continue
        }
        if state == .unquoted || state == .quoted {
          // A run of bytes that mean nothing in this state is copied in one go.
          let quoted = state == .quoted
          var j = i
          while j < n {
            let d = buf[j]
            if d == 0x22 || d == 0x0A || d == 0x0D || d == 0 || (d == delimiter && !quoted) { break }
            j += 1
          }
          if j > i {
            appendRun(UnsafeBufferPointer(rebasing: buf[i..<j]))
            prevCR = false
            i = j
            if i == n { break }
          }
        }
        try byte(buf[i], body)
        i += 1
      }
    }

    /// Appends plain bytes (no quote, comma, line end or NUL) to the raw
    /// text and the field, within their limits.
    @inline(__always) mutating func appendRun(_ run: UnsafeBufferPointer<UInt8>) {
      let rawRoom = CSVReader.rawLimit - raw.count
      if rawRoom > 0 { raw.append(contentsOf: UnsafeBufferPointer(start: run.baseAddress, count: min(rawRoom, run.count))) }
      let room = fieldCap - (bytes.count - fieldStart)
      if run.count <= room {
        bytes.append(contentsOf: run)
      } else {
        if room > 0 { bytes.append(contentsOf: UnsafeBufferPointer(start: run.baseAddress, count: room)) }
        fieldOverflow = true
      }
    }

    @inline(__always) mutating func byte(_ c: UInt8, _ body: (borrowing CSVRecordView) throws -> Void) throws {
      let isLineEnd = c == 0x0A || c == 0x0D
      defer { prevCR = c == 0x0D }
      switch state {
      case .fieldStart:
        if isLineEnd {
          let lfOfCRLF = c == 0x0A && prevCR
          countLineEnd(c)
          if recordStarted {
            endField()
            try endRecord(body)
          } else if lfOfCRLF {
            return
          }
          return
        }
        if !recordStarted {
          recordStarted = true
          recordLine = line
        }
        appendRaw(c)
        if c == 0x22 {
          state = .quoted
        } else if c == delimiter {
          endField()
        } else {
          appendField(c)
          state = .unquoted
        }
      case .unquoted:
        if isLineEnd {
          countLineEnd(c)
          endField()
          try endRecord(body)
          return
        }
        appendRaw(c)
        if c == delimiter {
          endField()
          state = .fieldStart
        } else if c == 0x22 {
          malformed(.quoteInUnquotedField)
        } else {
          appendField(c)
        }
      case .quoted:
        if isLineEnd { countLineEnd(c) }
        appendRaw(c)
        if c == 0x22 { state = .quoteInQuoted } else { appendField(c) }
      case .quoteInQuoted:
        if isLineEnd {
          countLineEnd(c)
          endField()
          try endRecord(body)
          return
        }
        appendRaw(c)
        if c == 0x22 {
          appendField(c)
          state = .quoted
        } else if c == delimiter {
          endField()
          state = .fieldStart
        } else {
          malformed(.textAfterClosingQuote)
        }
      case .skipToLineEnd:
        if isLineEnd {
          countLineEnd(c)
          try endRecord(body)
          return
        }
        appendRaw(c)
      }
    }

    mutating func malformed(_ kind: CSVRowProblem.Kind) {
      problem = CSVRowProblem(kind: kind, column: ends.count)
      bytes.removeSubrange(fieldStart...)
      state = .skipToLineEnd
    }

    mutating func finish(_ body: (borrowing CSVRecordView) throws -> Void) throws {
      switch state {
      case .quoted:
        throw ReadError.openQuoteAtEndOfFile(line: recordLine)
      case .skipToLineEnd:
        try endRecord(body)
      case .unquoted, .quoteInQuoted:
        endField()
        try endRecord(body)
      case .fieldStart:
        if recordStarted {
          endField()
          try endRecord(body)
        }
      }
    }
  }
}

/// One record as the parser holds it: the bytes of every field, the line it
/// starts on, the raw text (shortened) and a problem that rejects it.
package struct CSVRecordView: ~Copyable {
  let encoding: TextEncoding
  /// The fields' bytes; field `i` ends at `ends[i]`, and the next starts
  /// `gap` bytes later (1 when the fields lie in the file's bytes, split by
  /// the delimiter; 0 when the parser copied them out).
  let bytes: UnsafeBufferPointer<UInt8>
  let ends: UnsafeBufferPointer<Int>
  let gap: Int
  package let line: Int
  let rawBytes: UnsafeBufferPointer<UInt8>
  package let problem: CSVRowProblem?
  /// Every byte is known to be ASCII.
  let knownASCII: Bool

  package var count: Int { ends.count }

  @inline(__always) func start(_ i: Int) -> Int { i == 0 ? 0 : ends[i - 1] + gap }

  /// The decoded text of field `i`.
  package func field(_ i: Int) -> String {
    encoding.decode(bytes[start(i)..<ends[i]])
  }

  /// The decoded text of field `i`, trimmed of surrounding Unicode
  /// whitespace: `trimUnicodeWhitespace(field(i))`. UTF-8 text whose ends
  /// are ASCII is trimmed on the bytes, without decoding twice.
  package func trimmedField(_ i: Int) -> String {
    if encoding == .utf8 {
      let buf = bytes
      var s = start(i)
      var e = ends[i]
      while s < e, isASCIIWhitespace(buf[s]) { s += 1 }
      while e > s, isASCIIWhitespace(buf[e - 1]) { e -= 1 }
      if s == e { return "" }
      if buf[s] < 0x80, buf[e - 1] < 0x80 {
        return String(decoding: UnsafeBufferPointer(rebasing: buf[s..<e]), as: UTF8.self)
      }
    }
    return String(trimUnicodeWhitespace(Substring(field(i))))
  }

  /// Every byte of the record (fields and raw text) is ASCII.
  package var isASCII: Bool {
    if knownASCII { return true }
    func ascii(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
      var or: UInt8 = 0
      for c in b { or |= c }
      return or < 0x80
    }
    return ascii(rawBytes) && ascii(bytes)
  }

  /// The fast path may read the record as UTF-8 bytes: ASCII, or (in a
  /// UTF-8 file) non-ASCII text none of whose fields starts or ends with
  /// Unicode whitespace after ASCII trimming (ByteRow trims ASCII only), and
  /// whose raw text is whole.
  package func isFastReadable(utf8 file: Bool) -> Bool {
    if isASCII { return true }
    guard file, encoding == .utf8, rawBytes.count < CSVReader.rawLimit else { return false }
    let buf = bytes
    for i in 0..<count {
      var s = start(i)
      var e = ends[i]
      while s < e, isASCIIWhitespace(buf[s]) { s += 1 }
      while e > s, isASCIIWhitespace(buf[e - 1]) { e -= 1 }
      guard s < e else { continue }
      if buf[s] >= 0x80, Self.whitespaceScalar(buf, from: s, to: e) { return false }
      if buf[e - 1] >= 0x80 {
        var k = e - 1
        while k > s, buf[k] & 0xC0 == 0x80 { k -= 1 }
        if Self.whitespaceScalar(buf, from: k, to: e) { return false }
      }
    }
    return true
  }

  /// The scalar starting at `from` is Unicode whitespace (or not valid UTF-8).
  private static func whitespaceScalar(_ b: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Bool {
    var it = UnsafeBufferPointer(rebasing: b[from..<to]).makeIterator()
    var decoder = UTF8()
    guard case .scalarValue(let u) = decoder.decode(&it) else { return true }
    return u.properties.isWhitespace
  }

  /// Where the fields' bytes start (valid while the view is).
  var base: UnsafePointer<UInt8> { bytes.baseAddress ?? CSVRecordView.empty }

  nonisolated(unsafe) private static let empty: UnsafePointer<UInt8> = UnsafePointer(UnsafeMutablePointer<UInt8>.allocate(capacity: 1))

  /// Packs `raw` (a fast-readable record's: its bytes are its UTF-8, whole).
  func packRaw(into batch: PackedBatch) {
    batch.text(rawBytes, suffix: rawBytes.count >= CSVReader.rawLimit ? "…" : "")
  }

  /// The raw text, shortened to `CSVReader.rawLimit` bytes with a final `…`.
  package var raw: String {
    var text = encoding.decode(rawBytes)
    if rawBytes.count >= CSVReader.rawLimit { text += "…" }
    return text
  }

  /// The record with every field decoded.
  package var record: CSVRecord {
    CSVRecord(fields: (0..<count).map { field($0) }, line: line, raw: raw, problem: problem)
  }
}

/// The Unicode White_Space scalars of ASCII: tab, LF, VT, FF, CR, space.
@inline(__always) func isASCIIWhitespace(_ c: UInt8) -> Bool {
  c == 0x20 || (c >= 0x09 && c <= 0x0D)
}
