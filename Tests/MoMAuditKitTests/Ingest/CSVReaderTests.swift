import Foundation
import Testing

@testable import MoMAuditKit

/// registry-export.md, "CSV dialect", at the reader: records, fields, the
/// physical line each record starts on, and the row-level problems.
@Suite("CSV reader")
struct CSVReaderTests {
  static func read(_ text: String) throws -> [CSVRecord] { try CSVReader.records(in: Array(text.utf8)) }
  static func fields(_ text: String) throws -> [[String]] { try read(text).map(\.fields) }
  static func lines(_ text: String) throws -> [Int] { try read(text).map(\.line) }

  // MARK: line ends

  @Test(
    "LF, CRLF, a lone CR and mixed line ends all end records",
    arguments: [
      "a,b\nc,d\ne,f\n", "a,b\r\nc,d\r\ne,f\r\n", "a,b\rc,d\re,f\r", "a,b\r\nc,d\re,f\n", "a,b\nc,d\r\ne,f",
      "a,b\rc,d\ne,f\r\n",
    ])
  func lineEnds(_ text: String) throws {
    let recs = try Self.read(text)
    #expect(recs.map(\.fields) == [["a", "b"], ["c", "d"], ["e", "f"]])
    #expect(recs.map(\.line) == [1, 2, 3])
    #expect(recs.allSatisfy { $0.problem == nil })
  }

  @Test("the last record needs no line end, and a final line end adds no record")
  func lastRecord() throws {
    #expect(try Self.fields("a,b\nc,d") == [["a", "b"], ["c", "d"]])
    #expect(try Self.fields("a,b\nc,d\r\n") == [["a", "b"], ["c", "d"]])
    #expect(try Self.fields("a,b\nc,") == [["a", "b"], ["c", ""]])
  }

  // MARK: quoting

  @Test("quoted fields hold commas, doubled quotes and line ends")
  func quoted() throws {
    #expect(try Self.fields("\"a,b\",c\n") == [["a,b", "c"]])
    #expect(try Self.fields("\"say \"\"hi\"\"\",x\n") == [["say \"hi\"", "x"]])
    #expect(try Self.fields("\"\"\"\",\"\"\n") == [["\"", ""]])
    #expect(try Self.fields("\"line1\nline2\",x\n") == [["line1\nline2", "x"]])
    #expect(try Self.fields("\"line1\r\nline2\",x\r\n") == [["line1\r\nline2", "x"]])
    #expect(try Self.fields("\"line1\rline2\",x\r") == [["line1\rline2", "x"]])
    #expect(try Self.fields("a,\"\"\n") == [["a", ""]])
    #expect(try Self.fields("\"a\"\n") == [["a"]])
  }

  @Test(
    "a record after a quoted line end starts on the physical line it is on",
    arguments: ["\n", "\r\n", "\r"])
  func linesAfterEmbeddedNewlines(_ end: String) throws {
    let text = ["h1,h2", "\"x\(end)y\(end)z\",1", "a,2", "\"p\(end)q\",3", "b,4"].joined(separator: end) + end
    let recs = try Self.read(text)
    #expect(recs.map(\.line) == [1, 2, 5, 6, 8])
    #expect(recs[1].fields == ["x\(end)y\(end)z", "1"])
    #expect(recs[4].fields == ["b", "4"])
  }

  // MARK: malformed rows

  @Test("a quote inside an unquoted field marks only that row, and reading resumes at the next line")
  func quoteInUnquoted() throws {
    let recs = try Self.read("a,b\nx,y\"z,w\nc,d\n")
    #expect(recs.count == 3)
    #expect(recs[1].problem == CSVRowProblem(kind: .quoteInUnquotedField, column: 1))
    #expect(recs[1].line == 2)
    #expect(recs[1].raw == "x,y\"z,w")
    #expect(recs[0].problem == nil && recs[2].problem == nil)
    #expect(recs[2].fields == ["c", "d"])
    #expect(recs[2].line == 3)
  }

  @Test("text after a closing quote marks only that row, and reading resumes at the next line")
  func textAfterQuote() throws {
    let recs = try Self.read("a,b\n\"x\"y,w\n\"c\",d\n")
    #expect(recs.count == 3)
    #expect(recs[1].problem == CSVRowProblem(kind: .textAfterClosingQuote, column: 0))
    #expect(recs[2].fields == ["c", "d"])
    #expect(recs[2].problem == nil)
    #expect(recs[2].line == 3)
  }

  @Test("a malformed row spanning a quoted line end resumes at the line after the problem")
  func malformedAfterMultiline() throws {
    let recs = try Self.read("h,i\n\"x\ny\"z,w\nc,d\r\ne,f")
    #expect(recs.map(\.line) == [1, 2, 4, 5])
    #expect(recs[1].problem?.kind == .textAfterClosingQuote)
    #expect(recs[2].fields == ["c", "d"] && recs[3].fields == ["e", "f"])
  }

  @Test("a malformed last row without a line end is still a record")
  func malformedAtEnd() throws {
    let recs = try Self.read("a,b\nx\"y,z")
    #expect(recs.count == 2)
    #expect(recs[1].problem == CSVRowProblem(kind: .quoteInUnquotedField, column: 0))
  }

  @Test(
    "a quoted field still open at the end of the file refuses the file",
    arguments: [("a,b\nc,\"d\n", 2), ("\"a", 1), ("a,b\n\nc,d\n\"x,\ny\n", 4), ("a\r\n\"", 2)])
  func openQuote(_ text: String, _ line: Int) {
    #expect(throws: CSVReader.ReadError.openQuoteAtEndOfFile(line: line)) { try Self.read(text) }
  }

  // MARK: empty and blank lines

  @Test("empty lines are skipped and not counted as rows; line numbers stay physical")
  func emptyLines() throws {
    for (text, lines) in [
      ("a\n\n\nb\n", [1, 4]), ("\n\na\nb\n\n", [3, 4]), ("a\r\n\r\nb\r\n", [1, 3]), ("a\r\rb\r", [1, 3]),
      ("a\n\r\nb\r\n\r\n", [1, 3]), ("\r\n", []), ("\n\n\n", []),
    ] {
      let recs = try Self.read(text)
      #expect(recs.map(\.fields) == [["a"], ["b"]].prefix(lines.count).map { $0 }, "\(text.debugDescription)")
      #expect(recs.map(\.line) == lines, "\(text.debugDescription)")
    }
  }

  @Test("a line of spaces or of commas is a row")
  func blankishLines() throws {
    let recs = try Self.read("a,b\n   \n,\n,,,\n\t\nc,d\n")
    #expect(recs.map(\.fields) == [["a", "b"], ["   "], ["", ""], ["", "", "", ""], ["\t"], ["c", "d"]])
    #expect(recs.map(\.line) == [1, 2, 3, 4, 5, 6])
  }

  // MARK: encodings and bytes

  @Test("a UTF-8 byte-order mark is ignored")
  func bom() throws {
    let recs = try CSVReader.records(in: [0xEF, 0xBB, 0xBF] + Array("a,b\nc,d\n".utf8))
    #expect(recs.map(\.fields) == [["a", "b"], ["c", "d"]])
  }

  @Test("Windows-1252 bytes decode to their characters")
  func cp1252() throws {
    // 0xE9 é, 0x80 €, 0x92 ’, 0xB5 µ
    let recs = try CSVReader.records(
      in: Array("caf".utf8) + [0xE9, 0x2C, 0x80, 0x92, 0xB5] + Array("g/L\n".utf8), encoding: .windows1252)
    #expect(recs.map(\.fields) == [["café", "€’µg/L"]])
  }

  @Test(
    "a NUL marks the row, naming its column",
    arguments: [("a,b\u{0}c,d\n", 1), ("\u{0},b\n", 0), ("a,\"x\u{0}\",d\n", 1)])
  func nul(_ text: String, _ column: Int) throws {
    let recs = try Self.read(text + "e,f\n")
    #expect(recs[0].problem == CSVRowProblem(kind: .nulCharacter, column: column))
    #expect(recs[1].problem == nil && recs[1].fields == ["e", "f"])
  }

  // MARK: field size

  static let limit = FieldLimits.maxFieldBytes

  @Test("a field of exactly 65,536 bytes is fine; 65,537 marks the row")
  func fieldSize() throws {
    #expect(Self.limit == 65_536)
    let exact = String(repeating: "x", count: Self.limit)
    let ok = try Self.read("a,\(exact),b\nc,d,e\n")
    #expect(ok[0].problem == nil)
    #expect(ok[0].fields[1].utf8.count == 65_536)
    let over = try Self.read("a,\(exact)x,b\nc,d,e\n")
    #expect(over[0].problem == CSVRowProblem(kind: .fieldTooLong, column: 1))
    #expect(over[1].problem == nil && over[1].fields == ["c", "d", "e"])
    let quoted = try Self.read("a,\"\(exact)x\",b\n")
    #expect(quoted[0].problem == CSVRowProblem(kind: .fieldTooLong, column: 1))
    let quotedExact = try Self.read("a,\"\(exact)\",b\n")
    #expect(quotedExact[0].problem == nil)
  }

  @Test("field size counts UTF-8 bytes after decoding, before trimming")
  func fieldSizeBytes() throws {
    let e = "\u{00E9}"  // 2 bytes of UTF-8
    #expect(try Self.read("a,\(String(repeating: e, count: 32_768))\n")[0].problem == nil)
    #expect(try Self.read("a,\(String(repeating: e, count: 32_768))x\n")[0].problem?.kind == .fieldTooLong)
    // surrounding spaces count
    let padded = " " + String(repeating: "x", count: Self.limit - 1) + " "
    #expect(try Self.read("a,\(padded)\n")[0].problem?.kind == .fieldTooLong)
    // Windows-1252 0xE9 is one byte in the file, two after decoding
    let cpOK = try CSVReader.records(
      in: [0x61, 0x2C] + [UInt8](repeating: 0xE9, count: 32_768) + [0x0A], encoding: .windows1252)
    #expect(cpOK[0].problem == nil)
    let cpOver = try CSVReader.records(
      in: [0x61, 0x2C] + [UInt8](repeating: 0xE9, count: 32_769) + [0x0A], encoding: .windows1252)
    #expect(cpOver[0].problem == CSVRowProblem(kind: .fieldTooLong, column: 1))
    // 0x80 (€) is three bytes after decoding
    let euro = try CSVReader.records(in: [UInt8](repeating: 0x80, count: 21_846) + [0x0A], encoding: .windows1252)
    #expect(euro[0].problem?.kind == .fieldTooLong)
  }

  @Test("a very long field keeps memory bounded and the raw text short")
  func rawShortened() throws {
    let recs = try Self.read("a," + String(repeating: "y", count: 300_000) + "\nb,c\n")
    #expect(recs[0].problem?.kind == .fieldTooLong)
    #expect(recs[0].raw.hasSuffix("…"))
    #expect(recs[0].raw.utf8.count <= CSVReader.rawLimit + 3)
    #expect(recs[1].fields == ["b", "c"])
  }
}
