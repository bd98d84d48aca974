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
  package var skipBOM = true
  package static let rawLimit = 4096

  package init(path: String, encoding: TextEncoding) {
    self.path = path
    self.encoding = encoding
  }

  package enum ReadError: Error, Equatable {
    case openQuoteAtEndOfFile(line: Int)
  }

  enum State { case fieldStart, unquoted, quoted, quoteInQuoted, skipToLineEnd }

  /// Calls `body` for each record in file order.
  package func forEachRecord(_ body: (CSVRecord) throws -> Void) throws {
    guard let fh = FileHandle(forReadingAtPath: path) else { throw IngestError.inputMissing(path: path) }
    defer { try? fh.close() }
    var parser = Parser(encoding: encoding)
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
  package static func records(in bytes: [UInt8], encoding: TextEncoding = .utf8) throws -> [CSVRecord] {
    var parser = Parser(encoding: encoding)
    var out: [CSVRecord] = []
    var b = bytes[...]
    if b.starts(with: [0xEF, 0xBB, 0xBF]) { b = b.dropFirst(3) }
    try Array(b).withUnsafeBufferPointer { try parser.feed($0) { out.append($0) } }
    try parser.finish { out.append($0) }
    return out
  }

  struct Parser {
    let encoding: TextEncoding
    let fieldCap = FieldLimits.maxFieldBytes * 3 + 4
    var state = State.fieldStart
    var line = 1
    var prevCR = false
    var recordLine = 1
    var recordStarted = false
    var field: [UInt8] = []
    var fieldOverflow = false
    var fieldHasNUL = false
    var fields: [String] = []
    var raw: [UInt8] = []
    var problem: CSVRowProblem? = nil

    init(encoding: TextEncoding) {
      self.encoding = encoding
      field.reserveCapacity(256)
      raw.reserveCapacity(1024)
    }

    @inline(__always) mutating func appendRaw(_ c: UInt8) {
      if raw.count < CSVReader.rawLimit { raw.append(c) }
    }

    @inline(__always) mutating func appendField(_ c: UInt8) {
      if c == 0 { fieldHasNUL = true }
      if field.count < fieldCap { field.append(c) } else { fieldOverflow = true }
    }

    mutating func endField() {
      let text = encoding.decode(field)
      if problem == nil {
        if fieldHasNUL {
          problem = CSVRowProblem(kind: .nulCharacter, column: fields.count)
        } else if fieldOverflow || text.utf8.count > FieldLimits.maxFieldBytes {
          problem = CSVRowProblem(kind: .fieldTooLong, column: fields.count)
        }
      }
      fields.append(problem?.kind == .fieldTooLong && problem?.column == fields.count ? "" : text)
      field.removeAll(keepingCapacity: true)
      fieldOverflow = false
      fieldHasNUL = false
    }

    mutating func endRecord(_ body: (CSVRecord) throws -> Void) throws {
      var rawText = encoding.decode(raw)
      if raw.count >= CSVReader.rawLimit { rawText += "…" }
      let rec = CSVRecord(fields: fields, line: recordLine, raw: rawText, problem: problem)
      fields.removeAll(keepingCapacity: true)
      raw.removeAll(keepingCapacity: true)
      problem = nil
      recordStarted = false
      state = .fieldStart
      try body(rec)
    }

    /// Counts a physical line end; CRLF counts once.
    @inline(__always) mutating func countLineEnd(_ c: UInt8) {
      if c == 0x0D || !prevCR { line += 1 }
    }

    mutating func feed(_ buf: UnsafeBufferPointer<UInt8>, _ body: (CSVRecord) throws -> Void) throws {
      for c in buf {
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
              continue
            }
            continue
          }
          if !recordStarted {
            recordStarted = true
            recordLine = line
          }
          appendRaw(c)
          if c == 0x22 {
            state = .quoted
          } else if c == 0x2C {
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
            continue
          }
          appendRaw(c)
          if c == 0x2C {
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
            continue
          }
          appendRaw(c)
          if c == 0x22 {
            appendField(c)
            state = .quoted
          } else if c == 0x2C {
            endField()
            state = .fieldStart
          } else {
            malformed(.textAfterClosingQuote)
          }
        case .skipToLineEnd:
          if isLineEnd {
            countLineEnd(c)
            try endRecord(body)
            continue
          }
          appendRaw(c)
        }
      }
    }

    mutating func malformed(_ kind: CSVRowProblem.Kind) {
      problem = CSVRowProblem(kind: kind, column: fields.count)
      field.removeAll(keepingCapacity: true)
      state = .skipToLineEnd
    }

    mutating func finish(_ body: (CSVRecord) throws -> Void) throws {
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
