import Foundation
import GRDB
import Testing

@testable import MoMAuditKit

/// registry-export.md, "CSV dialect" and "text", through the ingest stage:
/// what is stored, what is rejected (with line, field and reason), and which
/// files are refused.
@Suite("CSV files")
struct CSVFileTests {
  typealias R = IX.Reject

  /// The outcome's and the stored counts agree, and read = accepted + rejected.
  static func expectBalanced(
    _ db: DatabaseQueue, _ o: FileOutcome, read: Int, accepted: Int, rejected: Int,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    #expect(o.status == .loaded, sourceLocation: sourceLocation)
    #expect(
      [o.rowsRead, o.rowsAccepted, o.rowsRejected] as [Int] == [read, accepted, rejected],
      sourceLocation: sourceLocation)
    #expect(o.rowsRead == o.rowsAccepted + o.rowsRejected, sourceLocation: sourceLocation)
    let stored = try #require(
      try IX.row(
        db, "SELECT rows_read, rows_accepted, rows_rejected FROM source_file WHERE status = 'loaded' ORDER BY id DESC"),
      sourceLocation: sourceLocation)
    #expect([stored[0], stored[1], stored[2]] as [Int] == [read, accepted, rejected], sourceLocation: sourceLocation)
    #expect(try IX.count(db, "reject") == rejected, sourceLocation: sourceLocation)
  }

  /// A refused file: nothing loaded, the refusal recorded with its reason.
  static func expectRefused(
    _ db: DatabaseQueue, _ o: FileOutcome, _ reason: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    #expect(o.status == .refused, sourceLocation: sourceLocation)
    #expect(o.reason == reason, sourceLocation: sourceLocation)
    #expect([o.rowsRead, o.rowsAccepted, o.rowsRejected] as [Int] == [0, 0, 0], sourceLocation: sourceLocation)
    #expect(try IX.recordCount(db) == 0, sourceLocation: sourceLocation)
    #expect(
      try IX.strings(db, "SELECT status || ': ' || error FROM source_file") == ["refused: \(reason)"],
      sourceLocation: sourceLocation)
  }

  // MARK: line numbers

  @Test("rejects name the physical line, counting the lines inside quoted fields and empty lines")
  func lineNumbers() throws {
    let text =
      [
        IX.procHeader + ",manufacturer",
        IX.proc("P1") + ",\"DePuy\nInternational\nLtd\"",  // lines 2–4
        IX.proc("P2", date: "31/02/2020") + ",x",  // line 5
        "",  // line 6
        IX.proc("P3", side: "B") + ",\"a\r\nb\"",  // lines 7–8
        IX.proc("P4") + ",y",  // line 9
      ].joined(separator: "\n") + "\n"
    let (db, o) = try IX.load("p.csv", text)
    try Self.expectBalanced(db, o, read: 4, accepted: 2, rejected: 2)
    let rejects = try IX.rejects(db)
    #expect(rejects.map(\.line) == [5, 7])
    #expect(
      rejects[0]
        == R(
          line: 5, location: nil, kind: "procedure", recordId: "P2", field: "procedure_date", code: "INVALID_DATE",
          reason: "procedure_date: \"31/02/2020\" is not a valid date (YYYY-MM-DD, DD/MM/YYYY, YYYYMMDD or D-Mon-YYYY)",
          raw: IX.proc("P2", date: "31/02/2020") + ",x"))
    #expect(rejects[1].reason == "side: unknown code \"B\"")
    #expect(rejects[1].raw == IX.proc("P3", side: "B") + ",\"a\r\nb\"")
    #expect(
      try IX.strings(db, "SELECT manufacturer FROM procedure ORDER BY procedure_id") == [
        "DePuy\nInternational\nLtd", "y",
      ])
    #expect(
      try IX.strings(db, "SELECT procedure_id || '@' || source_line FROM procedure ORDER BY 1") == ["P1@2", "P4@9"])
  }

  @Test(
    "LF, CRLF, lone CR and mixed line ends load the same rows on the same lines",
    arguments: ["\n", "\r\n", "\r", "mixed"])
  func lineEnds(_ end: String) throws {
    let rows = [IX.procHeader, IX.proc("P1"), IX.proc("P2", date: "x"), IX.proc("P3")]
    let ends = end == "mixed" ? ["\r\n", "\r", "\n", "\r"] : Array(repeating: end, count: 4)
    let text = zip(rows, ends).map { $0 + $1 }.joined()
    let (db, o) = try IX.load("p.csv", text)
    try Self.expectBalanced(db, o, read: 3, accepted: 2, rejected: 1)
    #expect(try IX.rejects(db).map(\.line) == [3])
    #expect(
      try IX.strings(db, "SELECT procedure_id || '@' || source_line FROM procedure ORDER BY 1") == ["P1@2", "P3@4"])
  }

  // MARK: malformed rows

  @Test("a quote inside an unquoted field rejects only that row; the next line loads")
  func quoteInUnquoted() throws {
    let bad = IX.proc("P2", bearing: "Mo\"M")
    let (db, o) = try IX.load("p.csv", IX.lines(IX.procHeader, [IX.proc("P1"), bad, IX.proc("P3")]))
    try Self.expectBalanced(db, o, read: 3, accepted: 2, rejected: 1)
    #expect(
      try IX.rejects(db)
        == [
          R(
            line: 3, location: nil, kind: "procedure", recordId: nil, field: "bearing", code: "MALFORMED_ROW",
            reason: "bearing: malformed CSV, a quote inside an unquoted field", raw: bad)
        ])
    #expect(try IX.strings(db, "SELECT procedure_id FROM procedure ORDER BY 1") == ["P1", "P3"])
  }

  @Test("text after a closing quote rejects only that row; the next line loads")
  func textAfterQuote() throws {
    let bad = "\"P2\"x,9990100004,2006-05-02,L,resurfacing,MoM"
    let (db, o) = try IX.load(
      "p.csv", IX.lines(IX.procHeader, [IX.proc("P1"), bad, "\"P3\"," + String(IX.proc("").dropFirst())]))
    try Self.expectBalanced(db, o, read: 3, accepted: 2, rejected: 1)
    #expect(
      try IX.rejects(db)
        == [
          R(
            line: 3, location: nil, kind: "procedure", recordId: nil, field: "procedure_id", code: "MALFORMED_ROW",
            reason: "procedure_id: malformed CSV, text after a closing quote", raw: bad)
        ])
    #expect(try IX.strings(db, "SELECT procedure_id FROM procedure ORDER BY 1") == ["P1", "P3"])
  }

  @Test("a quoted field open at the end of the file refuses the whole file; earlier rows are not loaded")
  func openQuote() throws {
    let text = IX.lines(IX.procHeader, [IX.proc("P1"), IX.proc("P2"), IX.proc("P3", bearing: "\"MoM")])
    let (db, o) = try IX.load("p.csv", text)
    try Self.expectRefused(db, o, "line 4: a quoted field is still open at the end of the file")
  }

  // MARK: empty and blank lines

  @Test("empty lines are skipped and not counted; a line of spaces or of commas is a rejected row")
  func blankLines() throws {
    let text = [IX.procHeader, IX.proc("P1"), "", "   ", ",,,,,", "", "\t", IX.proc("P2"), "", ""].joined(
      separator: "\n")
    let (db, o) = try IX.load("p.csv", text)
    try Self.expectBalanced(db, o, read: 5, accepted: 2, rejected: 3)
    #expect(
      try IX.rejects(db)
        == [
          R(
            line: 4, location: nil, kind: "procedure", recordId: nil, field: nil, code: "FIELD_COUNT",
            reason: "row has 1 field, the header has 6", raw: "   "),
          R(
            line: 5, location: nil, kind: "procedure", recordId: nil, field: "procedure_id", code: "MISSING_FIELD",
            reason: "procedure_id: required value is blank", raw: ",,,,,"),
          R(
            line: 7, location: nil, kind: "procedure", recordId: nil, field: nil, code: "FIELD_COUNT",
            reason: "row has 1 field, the header has 6", raw: "\t"),
        ])
  }

  @Test(
    "a row with the wrong number of fields is rejected",
    arguments: [
      ("P9,9434765919,2006-05-02", "row has 3 fields, the header has 6"),
      (IX.proc("P9") + ",extra", "row has 7 fields, the header has 6"),
      ("P9", "row has 1 field, the header has 6"),
    ])
  func fieldCount(_ row: String, _ reason: String) throws {
    let (db, o) = try IX.load("p.csv", IX.lines(IX.procHeader, [row, IX.proc("P1")]))
    try Self.expectBalanced(db, o, read: 2, accepted: 1, rejected: 1)
    #expect(
      try IX.rejects(db)
        == [
          R(
            line: 2, location: nil, kind: "procedure", recordId: nil, field: nil, code: "FIELD_COUNT", reason: reason,
            raw: row)
        ])
  }

  // MARK: headers

  @Test(
    "a header that names a column twice (after case folding and trimming) refuses the file",
    arguments: [
      (IX.procHeader + ",SIDE", "side"),
      (IX.procHeader + ", Procedure_ID ", "procedure_id"),
      (IX.procHeader + ",comments,COMMENTS", "comments"),
      // U+017F LATIN SMALL LETTER LONG S case-folds to "s"
      (IX.procHeader + ",\u{017F}ide", "side"),
    ])
  func duplicateHeader(_ header: String, _ name: String) throws {
    let (db, o) = try IX.load("p.csv", IX.lines(header, [IX.proc("P1") + ",x,y"]))
    try Self.expectRefused(db, o, "the header names column \"\(name)\" twice")
  }

  @Test(
    "a header with both or neither id column, or without a required column, refuses the file",
    arguments: [
      (IX.procHeader + ",event_id", "the header has columns of more than one kind (procedure, event); a file holds one kind of record"),
      (
        IX.evHeader + ",Procedure_ID",
        "the header has columns of more than one kind (procedure, event); a file holds one kind of record"
      ),
      (
        "nhs_number,procedure_date,side,procedure_type,bearing",
        "the header has none of procedure_id, event_id, result_id, analyte or exception_id, so the file is neither procedures, events, results nor exceptions"
      ),
      (
        "procedure id,nhs_number,procedure_date,side,procedure_type,bearing",
        "the header has none of procedure_id, event_id, result_id, analyte or exception_id, so the file is neither procedures, events, results nor exceptions"
      ),
      ("procedure_id,nhs_number,procedure_date,side,bearing", "missing required column procedure_type"),
      ("procedure_id,nhs_number,procedure_date,bearing", "missing required columns side, procedure_type"),
      ("procedure_id,side,procedure_type,bearing,procedure_date", "missing required column nhs_number"),
      ("event_id,nhs_number,event_date,side,note", "missing required column event_type"),
      (
        IX.evHeader + ",analyte",
        "the header has columns of more than one kind (event, result); a file holds one kind of record"
      ),
      ("result_id,nhs_number,sample_date,analyte,value", "missing required column unit"),
      ("nhs_number,sample_date,analyte,value,unit", "missing required column result_id"),
      // exception_id decides first: its procedure_id column does not make it a procedures file.
      ("exception_id,nhs_number,procedure_id", "missing required columns finding, reason, recorded_by, recorded_on, review_by"),
      ("exception_id,nhs_number,procedure_id,event_id", "missing required columns finding, reason, recorded_by, recorded_on, review_by"),
      ("event_id,event_type", "missing required columns nhs_number, event_date"),
    ])
  func headerRefused(_ header: String, _ reason: String) throws {
    let (db, o) = try IX.load("h.csv", IX.lines(header, ["a,b,c,d,e,f,g"]))
    try Self.expectRefused(db, o, reason)
  }

  @Test("unknown extra columns are ignored and columns may come in any order")
  func columnsAnyOrder() throws {
    let header = "bearing,Colour,SIDE,procedure_type,  NHS_Number\u{00A0},procedure_date,Procedure_ID,event_date,note"
    let (db, o) = try IX.load("p.csv", IX.lines(header, ["MoM,red,R,THR,943 476 5919,2/5/2006,P1,2020-01-01,hello"]))
    try Self.expectBalanced(db, o, read: 1, accepted: 1, rejected: 0)
    let r = try #require(try IX.row(db, "SELECT * FROM procedure"))
    #expect(r["procedure_id"] as String == "P1")
    #expect(r["nhs_number"] as String == "9434765919")
    #expect(r["procedure_date"] as String == "2006-05-02")
    #expect(r["side"] as String == "R")
    #expect(r["procedure_type"] as String == "total_hip")
    #expect(r["bearing"] as String == "MoM")
    #expect(r["is_mom"] as Int == 1)
    #expect(try IX.strings(db, "SELECT kind FROM source_file") == ["procedures"])
  }

  @Test("optional columns may be absent; a header-only file loads no rows")
  func headerOnly() throws {
    for text in [IX.procHeader, IX.procHeader + "\n", IX.procHeader + "\r\n\r\n", IX.evHeader + "\n"] {
      let (db, o) = try IX.load("h.csv", text)
      try Self.expectBalanced(db, o, read: 0, accepted: 0, rejected: 0)
      #expect(try IX.count(db, "procedure") + IX.count(db, "event") == 0)
      #expect(try IX.strings(db, "SELECT status FROM source_file") == ["loaded"])
    }
  }

  @Test("a zero-byte file is refused")
  func zeroBytes() throws {
    let (db, o) = try IX.load("empty.csv", bytes: [])
    try Self.expectRefused(db, o, "the file is empty (0 bytes)")
  }

  // MARK: trimming and case folding

  @Test("values and header names are trimmed of tabs, spaces and no-break spaces, and codes case-folded")
  func trimming() throws {
    let header =
      "\u{00A0}procedure_id\t,\tnhs_number , procedure_date,side\u{00A0},PROCEDURE_TYPE,Bearing,femoral_component"
    let row =
      "\u{00A0}P1\t,\t943 476 5919\u{00A0},\u{00A0}2006-05-02 ,\tl\u{00A0},\u{2003}Thr ,\u{00A0}METAL-ON-METAL\t,\"  ASR XL \u{00A0}\""
    let (db, o) = try IX.load("p.csv", IX.lines(header, [row]))
    try Self.expectBalanced(db, o, read: 1, accepted: 1, rejected: 0)
    let r = try #require(try IX.row(db, "SELECT * FROM procedure"))
    #expect(r["procedure_id"] as String == "P1")
    #expect(r["nhs_number"] as String == "9434765919")
    #expect(r["procedure_date"] as String == "2006-05-02")
    #expect(r["side"] as String == "L")
    #expect(r["procedure_type"] as String == "total_hip")
    #expect(r["bearing"] as String == "MoM")
    #expect(r["femoral_component"] as String == "ASR XL")
    #expect(r["is_asr"] as Int == 1)
  }

  // MARK: encodings

  static let utf8Row = Array((IX.procHeader + ",manufacturer\n" + IX.proc("P1") + ",").utf8)

  @Test("a UTF-8 byte-order mark is ignored")
  func bom() throws {
    let (db, o) = try IX.load("p.csv", bytes: [0xEF, 0xBB, 0xBF] + Self.utf8Row + Array("Société\n".utf8))
    try Self.expectBalanced(db, o, read: 1, accepted: 1, rejected: 0)
    #expect(try IX.strings(db, "SELECT manufacturer FROM procedure") == ["Société"])
    #expect(try IX.strings(db, "SELECT encoding FROM source_file") == ["utf-8"])
  }

  @Test("a file that is not valid UTF-8 is read as Windows-1252")
  func cp1252Automatic() throws {
    // "Société" and "€" in Windows-1252
    let bytes = Self.utf8Row + [0x53, 0x6F, 0x63, 0x69, 0xE9, 0x74, 0xE9, 0x20, 0x80, 0x0A]
    let (db, o) = try IX.load("p.csv", bytes: bytes)
    try Self.expectBalanced(db, o, read: 1, accepted: 1, rejected: 0)
    #expect(try IX.strings(db, "SELECT manufacturer FROM procedure") == ["Société €"])
    #expect(try IX.strings(db, "SELECT encoding FROM source_file") == ["windows-1252"])
  }

  @Test("--encoding cp1252 reads the file as Windows-1252, even when it is valid UTF-8")
  func cp1252Forced() throws {
    let options = IngestOptions(encoding: .windows1252)
    let (db, o) = try IX.load("p.csv", bytes: Self.utf8Row + [0x43, 0x61, 0x66, 0xE9, 0x0A], options: options)
    try Self.expectBalanced(db, o, read: 1, accepted: 1, rejected: 0)
    #expect(try IX.strings(db, "SELECT manufacturer FROM procedure") == ["Café"])
    #expect(try IX.strings(db, "SELECT encoding FROM source_file") == ["windows-1252"])
    // UTF-8 "é" (C3 A9) read as Windows-1252 is "Ã©"
    let (db2, o2) = try IX.load("p.csv", bytes: Self.utf8Row + Array("Café\n".utf8), options: options)
    try Self.expectBalanced(db2, o2, read: 1, accepted: 1, rejected: 0)
    #expect(try IX.strings(db2, "SELECT manufacturer FROM procedure") == ["CafÃ©"])
  }

  static let cp1252Refusal = "the file is neither valid UTF-8 nor Windows-1252 (it has bytes undefined in Windows-1252)"

  @Test(
    "bytes undefined in Windows-1252 refuse a file that is not UTF-8", arguments: [UInt8(0x81), 0x8D, 0x8F, 0x90, 0x9D])
  func cp1252Undefined(_ byte: UInt8) throws {
    let (db, o) = try IX.load("p.csv", bytes: Self.utf8Row + [0x43, 0x61, 0x66, 0xE9, byte, 0x0A])
    try Self.expectRefused(db, o, Self.cp1252Refusal)
  }

  @Test("a valid UTF-8 file holding the byte 0x81 loads as UTF-8, and is refused when cp1252 is forced")
  func utf8With81() throws {
    let bytes = Self.utf8Row + Array("\u{00C1}lvaro\n".utf8)  // Á = C3 81
    #expect(bytes.contains(0x81))
    let (db, o) = try IX.load("p.csv", bytes: bytes)
    try Self.expectBalanced(db, o, read: 1, accepted: 1, rejected: 0)
    #expect(try IX.strings(db, "SELECT manufacturer FROM procedure") == ["\u{00C1}lvaro"])
    let (db2, o2) = try IX.load("p.csv", bytes: bytes, options: IngestOptions(encoding: .windows1252))
    try Self.expectRefused(db2, o2, Self.cp1252Refusal)
  }

  @Test("UTF-16 files are refused", arguments: ["LE+BOM", "BE+BOM", "LE", "BE"])
  func utf16(_ form: String) throws {
    let text = IX.lines(IX.procHeader, [IX.proc("P1")])
    var bytes: [UInt8] = []
    let le = form.hasPrefix("LE")
    if form.hasSuffix("BOM") { bytes += le ? [0xFF, 0xFE] : [0xFE, 0xFF] }
    for unit in text.utf16 {
      bytes += le ? [UInt8(unit & 0xFF), UInt8(unit >> 8)] : [UInt8(unit >> 8), UInt8(unit & 0xFF)]
    }
    let (db, o) = try IX.load("p.csv", bytes: bytes)
    try Self.expectRefused(db, o, "the file is UTF-16, which is not supported; save it as UTF-8")
  }

  // MARK: NUL and field size

  @Test("a NUL rejects the row, naming its column, in a used or an ignored column")
  func nul() throws {
    let header = IX.procHeader + ",comments"
    let rows = [IX.proc("P1", bearing: "Mo\u{0}M") + ",", IX.proc("P2") + ",\"a\u{0}\"", IX.proc("P3") + ",ok"]
    let (db, o) = try IX.load("p.csv", IX.lines(header, rows))
    try Self.expectBalanced(db, o, read: 3, accepted: 1, rejected: 2)
    let rejects = try IX.rejects(db)
    #expect(rejects.map(\.line) == [2, 3])
    #expect(rejects.map(\.field) == ["bearing", "comments"])
    #expect(rejects.map(\.code) == ["NUL_CHARACTER", "NUL_CHARACTER"])
    #expect(rejects.map(\.reason) == ["bearing: contains a NUL character", "comments: contains a NUL character"])
    #expect(try IX.strings(db, "SELECT procedure_id FROM procedure") == ["P3"])
  }

  @Test("a field over 65,536 bytes rejects the row, even in an ignored column; exactly 65,536 is fine")
  func fieldSize() throws {
    let header = IX.procHeader + ",manufacturer,comments"
    let exact = String(repeating: "m", count: 65_536)
    let rows = [
      IX.proc("P1") + ",\(exact),\(exact)",  // line 2: fine
      IX.proc("P2") + ",x,\(exact)c",  // line 3: ignored column too long
      IX.proc("P3") + ",\"\(exact)m\",",  // line 4: used column too long
      IX.proc("P4") + ",\(String(repeating: "é", count: 32_768)),",  // line 5: 65,536 bytes of UTF-8
      IX.proc("P5") + ",\(String(repeating: "é", count: 32_768)) ,",  // line 6: 65,537 bytes before trimming
    ]
    let (db, o) = try IX.load("p.csv", IX.lines(header, rows))
    try Self.expectBalanced(db, o, read: 5, accepted: 2, rejected: 3)
    let rejects = try IX.rejects(db)
    #expect(rejects.map(\.line) == [3, 4, 6])
    #expect(rejects.map(\.field) == ["comments", "manufacturer", "manufacturer"])
    #expect(rejects.map(\.code) == ["FIELD_TOO_LONG", "FIELD_TOO_LONG", "FIELD_TOO_LONG"])
    #expect(rejects[0].reason == "comments: longer than 65536 bytes")
    #expect(rejects[1].reason == "manufacturer: longer than 65536 bytes")
    let lengths = try db.read {
      try Int.fetchAll($0, sql: "SELECT length(CAST(manufacturer AS BLOB)) FROM procedure ORDER BY procedure_id")
    }
    #expect(lengths == [65_536, 65_536])
  }

  @Test("a Windows-1252 field is measured after decoding: 32,769 é bytes are 65,538 bytes of UTF-8")
  func fieldSizeCP1252() throws {
    let prefix = Array((IX.procHeader + ",manufacturer\n" + IX.proc("P1") + ",").utf8)
    let ok = prefix + [UInt8](repeating: 0xE9, count: 32_768) + Array(("\n" + IX.proc("P2") + ",").utf8)
    let bytes = ok + [UInt8](repeating: 0xE9, count: 32_769) + [0x0A]
    let (db, o) = try IX.load("p.csv", bytes: bytes)
    try Self.expectBalanced(db, o, read: 2, accepted: 1, rejected: 1)
    #expect(try IX.rejects(db).map(\.reason) == ["manufacturer: longer than 65536 bytes"])
    #expect(try IX.strings(db, "SELECT procedure_id FROM procedure") == ["P1"])
  }

  // MARK: events through CSV

  @Test("ion events store values as given and in µg/L; foreign fields are dropped")
  func eventsStored() throws {
    let rows = [
      "E1,9434765919,2025-06-11,blood_metal_ions,,,,119,134.6,nmol/L,,,",
      "E2,9434765919,2025-06-11,ions,L,,,1.9,,\u{00B5}g/L,SERUM,,",
      "E3,9434765919,2025-06-11,metal_ions,both,,,,2.5,\u{00A0}\u{03BC}g/L\t,plasma,,",
      "E4,9434765919,2025-06-11,review,R,Y,+40,-3,abc,,,,",
      "E5,9434765919,2025-06-11,review,R,Y,40.0,-3,,mg/L,,,",
      "E6,9434765919,2025-06-11,clinic,B,no,40.0,-3,2,ppb,serum,normal,\"note, with comma\"",
      "E7,9434765919,2025-06-11,mri,,Y,99,,,,,pseudotumour,",
      "E8,9434765919,2025-06-11,blood_test,,,,-0.5,1,ug/L,,,",
      "E9,9434765919,2025-06-11,blood_test,,,,1,1,,,,",
      "E10,9434765919,2025-06-11,blood_test,,,,,,ug/L,,,",
      "E11,9434765919,2025-06-11,review,,,49,,,,,,",
    ]
    let (db, o) = try IX.load("e.csv", IX.lines(IX.evHeader, rows))
    try Self.expectBalanced(db, o, read: 11, accepted: 5, rejected: 6)
    #expect(
      try IX.rejects(db).map { "\($0.line ?? 0) \($0.field ?? "-") | \($0.reason)" } == [
        "5 chromium | chromium: \"abc\" is not a number or a censored number (<0.5, >=200)",
        "6 ion_unit | ion_unit: unknown code \"mg/L\"",
        "9 cobalt | cobalt: \"-0.5\" is negative",
        "10 ion_unit | ion_unit: an ion test needs a unit",
        "11 cobalt | cobalt, chromium: an ion test needs at least one of cobalt and chromium",
        "12 oxford_hip_score | oxford_hip_score: \"49\" is not a whole number 0–48",
      ])
    let e1 = try #require(try IX.row(db, "SELECT * FROM event WHERE event_id = 'E1'"))
    #expect(e1["cobalt"] as Double == 119)
    #expect(e1["chromium"] as Double == 134.6)
    #expect(e1["ion_unit"] as String == "nmol/L")
    #expect(e1["cobalt_ug_l"] as Double == 119 * 0.058933)
    #expect(e1["chromium_ug_l"] as Double == 134.6 * 0.051996)
    #expect(e1["sample_type"] as String == "whole_blood")
    #expect(e1["side"] as String? == nil)
    let e2 = try #require(try IX.row(db, "SELECT * FROM event WHERE event_id = 'E2'"))
    #expect(e2["ion_unit"] as String == "ug/L")
    #expect(e2["cobalt_ug_l"] as Double == 1.9)
    #expect(e2["chromium"] as Double? == nil)
    #expect(e2["sample_type"] as String == "serum")
    let e3 = try #require(try IX.row(db, "SELECT * FROM event WHERE event_id = 'E3'"))
    #expect(e3["ion_unit"] as String == "ug/L")
    #expect(e3["side"] as String == "B")
    #expect(e3["chromium_ug_l"] as Double == 2.5)
    let e6 = try #require(try IX.row(db, "SELECT * FROM event WHERE event_id = 'E6'"))
    #expect(e6["event_type"] as String == "review")
    #expect(e6["oxford_hip_score"] as Int == 40)
    #expect(e6["symptomatic"] as Int == 0)
    #expect(e6["cobalt"] as Double? == nil && e6["ion_unit"] as String? == nil && e6["sample_type"] as String? == nil)
    #expect(e6["imaging_finding"] as String? == nil)
    #expect(e6["note"] as String == "note, with comma")
    let e7 = try #require(try IX.row(db, "SELECT * FROM event WHERE event_id = 'E7'"))
    #expect(e7["event_type"] as String == "mars_mri")
    #expect(e7["oxford_hip_score"] as Int? == nil && e7["symptomatic"] as Int? == nil)
    #expect(e7["imaging_finding"] as String == "pseudotumour")
  }

  @Test("censored ion values are stored with their comparator and converted; a bad comparator rejects the row")
  func censoredIonValues() throws {
    let rows = [
      "E1,9434765919,2025-06-11T09:42:00Z,blood_metal_ions,,,,<0.5,>=200,nmol/L,,,",
      "E2,9434765919,11/06/2025 09:42,blood_metal_ions,,,,≤ 7,≥7,ug/L,,,",
      "E3,9434765919,2025-06-11,blood_metal_ions,,,,<<1,1,ug/L,,,",
      "E4,9434765919,2025-06-11,blood_metal_ions,,,,<0,1,ug/L,,,",
      "E5,9434765919,2025-06-11,blood_metal_ions,,,,>-1,1,ug/L,,,",
      "E6,9434765919,2025-06-11,review,,,40,<0.5,,,,,",
      "E7,9434765919,2025-06-11,review,,,<40,,,,,,",
      "E8,9434765919,2025-06-11T10:61,review,,,,,,,,,",
    ]
    let (db, o) = try IX.load("e.csv", IX.lines(IX.evHeader, rows))
    try Self.expectBalanced(db, o, read: 8, accepted: 3, rejected: 5)
    #expect(
      try IX.rejects(db).map { "\($0.line ?? 0) \($0.field ?? "-") | \($0.reason)" } == [
        "4 cobalt | cobalt: \"<<1\" is not a number or a censored number (<0.5, >=200)",
        "5 cobalt | cobalt: \"<0\" allows no possible value",
        "6 cobalt | cobalt: \">-1\" is negative",
        "8 oxford_hip_score | oxford_hip_score: \"<40\" is not a number",
        "9 event_date | event_date: \"2025-06-11T10:61\" has an invalid time of day (HH:MM, HH:MM:SS, 00:00–23:59)",
      ])
    let e1 = try #require(try IX.row(db, "SELECT * FROM event WHERE event_id = 'E1'"))
    #expect(e1["event_date"] as String == "2025-06-11")
    #expect(e1["cobalt"] as Double == 0.5)
    #expect(e1["cobalt_comparator"] as String == "<")
    #expect(e1["cobalt_ug_l"] as Double == 0.5 * 0.058933)
    #expect(e1["chromium"] as Double == 200)
    #expect(e1["chromium_comparator"] as String == ">=")
    #expect(e1["chromium_ug_l"] as Double == 200 * 0.051996)
    let e2 = try #require(try IX.row(db, "SELECT * FROM event WHERE event_id = 'E2'"))
    #expect(e2["cobalt_comparator"] as String == "<=")
    #expect(e2["chromium_comparator"] as String == ">=")
    #expect(e2["cobalt_ug_l"] as Double == 7)
    let e6 = try #require(try IX.row(db, "SELECT * FROM event WHERE event_id = 'E6'"))
    #expect(e6["cobalt"] as Double? == nil && e6["cobalt_comparator"] as String? == nil)
  }

  @Test("results load with their ids (explicit or sample_id/analyte), and re-sending them is unchanged or a replacement")
  func resultsReingest() throws {
    let t = TempDir()
    defer { t.cleanup() }
    let db = try AuditDatabase.open(path: t.file("a.db"))
    let ingester = Ingester(db: db, logger: .init(label: "t"))
    let v1 = t.write("lims-1.csv", """
      sample_id,nhs_number,sample_date,analyte,value,unit,specimen
      A1,9434765919,2025-06-11 09:42,cobalt blood,1.9,ug/L,EDTA blood
      A1,9434765919,2025-06-11 09:42,CR,<0.5,nmol/L,
      A1,9434765919,2025-06-11 09:42,Cr,<0.5,nmol/L,
      A1,9434765919,2025-06-11 09:42,Cr,0.7,nmol/L,
      A2,9434765919,2025-06-11,zinc,3,ug/L,
      A3,9434765919,2025-06-11,Co,-1,ug/L,
      A4,9434765919,2025-06-11,Co,<0,ug/L,
      A5,9434765919,2025-06-11,Co,~5,ug/L,
      A6,9434765919,2025-06-11,Co,5,mg/L,
      A7,9434765919,2025-06-11,Co,5,ug/L,urine

      """)
    let o1 = try #require(try ingester.ingest(inputs: [v1]).first)
    #expect([o1.rowsRead, o1.rowsAccepted, o1.rowsRejected] as [Int] == [10, 3, 7])
    #expect(
      try IX.rejects(db).map { "\($0.line ?? 0) \($0.recordId ?? "-") \($0.code)" } == [
        "5 A1/chromium DUPLICATE_ID", "6 - UNKNOWN_CODE", "7 A3/cobalt NEGATIVE_VALUE", "8 A4/cobalt INVALID_NUMBER",
        "9 A5/cobalt INVALID_NUMBER", "10 A6/cobalt UNKNOWN_CODE", "11 A7/cobalt UNKNOWN_CODE",
      ])
    let rows = try db.read { try Row.fetchAll($0, sql: "SELECT result_id, analyte, value, comparator, unit, value_ug_l, specimen, sample_date FROM result ORDER BY result_id") }
    #expect(rows.map { $0["result_id"] as String } == ["A1/chromium", "A1/cobalt"])
    #expect(rows[0]["comparator"] as String == "<")
    #expect(rows[0]["value_ug_l"] as Double == 0.5 * 0.051996)
    #expect(rows[1]["specimen"] as String == "whole_blood")
    #expect(rows[1]["sample_date"] as String == "2025-06-11")
    // The same rows again in another file: unchanged; a changed value: replaced.
    let v2 = t.write("lims-2.csv", """
      sample_id,nhs_number,sample_date,analyte,value,unit,specimen
      A1,9434765919,2025-06-11 09:42,cobalt,1.9,ug/L,whole_blood
      A1,9434765919,2025-06-11,chromium,<0.6,nmol/L,

      """)
    let o2 = try #require(try ingester.ingest(inputs: [v2]).first)
    #expect([o2.rowsRead, o2.rowsAccepted, o2.rowsRejected] as [Int] == [2, 2, 0])
    #expect([o2.recordsAdded, o2.recordsUnchanged, o2.recordsReplaced] as [Int] == [0, 1, 1])
    #expect(try IX.strings(db, "SELECT record_id || ' ' || identical FROM replacement ORDER BY record_id") == ["A1/chromium 0"])
    #expect(try IX.strings(db, "SELECT comparator || value FROM result WHERE result_id = 'A1/chromium'") == ["<0.6"])
  }
}
