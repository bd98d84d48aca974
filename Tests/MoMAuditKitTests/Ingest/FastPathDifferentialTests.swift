import Foundation
import GRDB
import Testing
@testable import MoMAuditKit

/// The ingest's fast path (bytes, two threads) must store exactly what the
/// reference path stores: CSVReader's strings, Unicode trimming, then
/// RowValidator. Random rows mix canonical values with near misses (case,
/// Unicode whitespace and letters, odd numbers, impossible dates) so both
/// the fast path and its fallback are exercised; every stored record and
/// every reject is compared.
@Suite("Fast path = reference path")
struct FastPathDifferentialTests {
  static let ws = ["", " ", "\t", "\u{00A0}", "\u{2003}", "\u{3000}"]
  static let values: [Field: [String]] = [
    .nhsNumber: ["9434765919", "943 476 5919", "943-476-5919", "9434765918", "0000000000", "94347659190", "９434765919"],
    .sex: ["", "1", "2", "M", "f", "Female", "9", "X", "x", "u", "ｍ"],
    .dateOfBirth: [
      "", "1951-03-14", "14/3/1951", "19510314", "1951-02-29", "31/02/1951", "1951-3-14", "14-Mar-1951", "14 march 1951",
      "14 Mar 1951 10:00", "1951-03-14T24:00", "14-Mrz-1951",
    ],
    .procedureDate: ["2006-05-02", "2/5/2006", "02/05/2006", "20060502", "2006-02-30", "2030-01-01", "06-05-02"],
    .side: ["L", "r", "Left", "RIGHT", "B", "", "ℓ"],
    .procedureType: ["total_hip", "THR", "primary_thr", "HR", "hip_resurfacing", "Rev", "revision", "thr ", "hip"],
    .bearing: ["MoM", "mom", "metal-on-metal", "Metal On Metal", "M-o-M", "MOP", "CoC", "unknown", "MoX", "ＭoM"],
    .headDiameterMm: ["", "46", "46.0", "+46", "20", "80", "80.0001", "19.99", "5.", ".5", "1e2", "NaN", "４６"],
    .femoralComponent: ["", "BHR head", "DePuy ASR XL", "=HYPERLINK(1)", "Café", "x\u{00A0}"],
    .eventDate: [
      "2020-01-01", "1/1/2020", "20200101", "2020-13-01", "2019-02-29", "2020-02-29", "2020-01-01T09:42:00Z",
      "2020-01-01 09:42", "01/01/2020 09:42:17", "20200101094200", "2-Mar-2020", "02 March 2020", "2020-01-01T24:00",
      "2020-01-01 10:61", "202001010942", "2020-01-01T09:42+01:00", "2020-01-01T09:42:17.123", "1 Sept 2020",
      "2020-01-01T09:42 Z", "20200101T0942",
    ],
    .eventType: ["review", "Clinic", "ions", "blood_test", "MRI", "us", "xray", "dna", "declined", "transfer", "deceased", "phone"],
    .symptomatic: ["", "Y", "n", "yes", "FALSE", "1", "0", "maybe"],
    .oxfordHipScore: ["", "40", "40.0", "+40", "48", "49", "-1", "40.5", "0"],
    .cobalt: [
      "", "1.9", "7", "7.01", "0", "-0.5", "119", "abc", "1,5", "<0.5", "< 10", ">=200", "≤7", "≥7", "<<1", "<", "~5",
      "<0", "<-1", ">-1", "<= 7", "> 7.0",
    ],
    .chromium: ["", "1.4", "135", "+2", "-1", "<0.5", ">7", "<=0", "< 0", "=5"],
    .ionUnit: ["", "ug/L", "µg/L", "μg/L", "UG/L", "ppb", "nmol/L", "mg/L"],
    .sampleType: ["", "whole_blood", "Serum", "plasma", "urine"],
    .imagingFinding: ["", "normal", "pseudotumour", "Muscle_or_bone_damage", "tumour"],
    .note: ["", "fine", "a \"quoted\" note, with comma", "line\nbreak", "trailing nbsp\u{00A0}", "é"],
    .sampleId: ["A25-00312", "S1", "x/y", ""],
    .sampleDate: ["2025-06-11", "11/06/2025 09:42", "20250611094200", "2-Mar-2025", "2025-06-11T24:00", "31/02/2025", ""],
    .analyte: ["cobalt", "CR", "Blood Cobalt", "chromium blood", "co", "HB", "", "zinc"],
    .value: ["1.9", "<0.5", "> 7", "≤7", "-1", "<0", "<<1", "", "~5", ">=200", "1e2"],
    .unit: ["ug/L", "nmol/L", "ppb", "µg/L", "", "mg/L"],
    .specimen: ["", "EDTA blood", "whole_blood", "Serum", "whole blood edta", "urine", "plasma", "whole blood"],
  ]

  static func field(_ f: Field, _ rng: inout SplitMix) -> String {
    // The first three values of every list are valid: mostly those, so most
    // rows take the fast path, with one field in ~15 a variant or near miss.
    let choices = values[f] ?? [""]
    let valid = rng.next() % 15 != 0
    let v = valid ? choices[Int(rng.next() % UInt64(min(3, choices.count)))] : choices[Int(rng.next() % UInt64(choices.count))]
    let pad = rng.next() % 12 == 0
    return pad ? ws[Int(rng.next() % UInt64(ws.count))] + v + ws[Int(rng.next() % UInt64(ws.count))] : v
  }

  static func csvCell(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
  }

  static func file(kind: RecordKind, rows: Int, seed: UInt64) -> String {
    var rng = SplitMix(seed: seed)
    let fields = kind.fields.filter { $0 != .localPatientId }
    var lines = [fields.map(\.name).joined(separator: ",")]
    for i in 0..<rows {
      lines.append(fields.map { f -> String in
        if f == kind.idField { return "ID-\(i)" }
        return csvCell(field(f, &rng))
      }.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// What the reference path accepts: id → record, and the rejected ids.
  static func reference(_ text: String) throws -> (accepted: [String: RowValidator.Outcome], rejected: [String: String]) {
    let records = try CSVReader.records(in: Array(text.utf8))
    let names = records[0].fields.map { foldCase(String(trimUnicodeWhitespace(Substring($0)))) }
    let kind: RecordKind = names.contains("procedure_id") ? .procedure : names.contains("event_id") ? .event : .result
    var accepted: [String: RowValidator.Outcome] = [:]
    var rejected: [String: String] = [:]
    for r in records.dropFirst() {
      var row = RawRow(kind: kind, line: r.line, raw: r.raw)
      for (i, n) in names.enumerated() where i < r.fields.count {
        if let f = Field.named(n) { row[f] = String(trimUnicodeWhitespace(Substring(r.fields[i]))) }
      }
      let id = row[kind.idField] ?? ""
      switch RowValidator.validate(row) {
      case .success(let o): accepted[id] = o
      case .failure(let p): rejected[id] = p.code
      }
    }
    return (accepted, rejected)
  }

  @Test("numbers on bytes are Double(text) to the bit, over random decimals of every length")
  func numbers() {
    var rng = SplitMix(seed: 77)
    for _ in 0..<100_000 {
      var text = ["", "+", "-"][Int(rng.next() % 3)]
      let before = 1 + Int(rng.next() % 20)
      for _ in 0..<before { text += String(rng.next() % 10) }
      if rng.next() % 3 != 0 {
        text += "."
        for _ in 0..<(1 + Int(rng.next() % 25)) { text += String(rng.next() % 10) }
      }
      if rng.next() % 50 == 0 { text += ["e5", ".", "x", " "][Int(rng.next() % 4)] }
      let fast = Array(text.utf8).withUnsafeBufferPointer { FastRowValidator.number($0) }
      let reference = NumberValue.parse(text)
      #expect(fast?.bitPattern == reference?.bitPattern, "\(text)")
    }
  }

  @Test("random procedures and events: the same records, rejects and reasons", arguments: [UInt64(1), 2, 3, 4, 5, 6])
  func differential(_ seed: UInt64) throws {
    let t = TempDir()
    defer { t.cleanup() }
    for kind in [RecordKind.procedure, .event, .result] {
      let text = Self.file(kind: kind, rows: 1_500, seed: seed &* 31 &+ (kind == .event ? 7 : kind == .result ? 13 : 0))
      let path = t.write("\(kind.rawValue)-\(seed).csv", text)
      let (db, outcomes) = try ingest([path])
      #expect(outcomes.first?.status == .loaded)
      let (accepted, rejected) = try Self.reference(text)
      #expect(accepted.count > 150, "too few accepted rows to exercise the fast path")
      #expect(rejected.count > 150, "too few rejected rows to exercise the fallback")
      #expect(outcomes.first?.rowsAccepted == accepted.count)
      #expect(outcomes.first?.rowsRejected == rejected.count)
      try Self.assertStored(db, kind, accepted: accepted, rejected: rejected)
    }
  }

  /// The same random values as an XML export: one patient per row, every
  /// field an attribute (components are elements, so left out here).
  static func xml(kind: RecordKind, rows: Int, seed: UInt64) -> (String, [[Field: String]]) {
    var rng = SplitMix(seed: seed)
    let fields = kind.fields.filter { $0 != .localPatientId && $0 != .femoralComponent && $0 != .nhsNumber }
    var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<registryExport xmlns=\"\(XMLExportReader.namespace)\">\n"
    var table: [[Field: String]] = []
    for i in 0..<rows {
      var row: [Field: String] = [kind.idField: "ID-\(i)", .nhsNumber: field(.nhsNumber, &rng)]
      for f in fields where f != kind.idField { row[f] = field(f, &rng) }
      table.append(row)
      let attrs = fields.map { " \($0.xmlName)=\"\(escape(row[$0] ?? ""))\"" }.joined()
      out += "<patient nhsNumber=\"\(escape(row[.nhsNumber]!))\"><\(kind.rawValue)\(attrs)/></patient>\n"
    }
    return (out + "</registryExport>\n", table)
  }

  static func escape(_ s: String) -> String {
    var o = ""
    for ch in s.unicodeScalars {
      switch ch {
      case "&": o += "&amp;"
      case "<": o += "&lt;"
      case "\"": o += "&quot;"
      case "\n": o += "&#10;"
      case "\t": o += "&#9;"
      default: o.unicodeScalars.append(ch)
      }
    }
    return o
  }

  @Test("random XML exports: the same records and rejects as the reference validator", arguments: [UInt64(11), 12, 13])
  func differentialXML(_ seed: UInt64) throws {
    let t = TempDir()
    defer { t.cleanup() }
    for kind in [RecordKind.procedure, .event] {
      let (text, table) = Self.xml(kind: kind, rows: 1_000, seed: seed &* 17 &+ (kind == .event ? 5 : 0))
      let (db, outcomes) = try ingest([t.write("\(kind.rawValue)-\(seed).xml", text)])
      #expect(outcomes.first?.status == .loaded, "\(outcomes.first?.reason ?? "")")
      var accepted: [String: RowValidator.Outcome] = [:]
      var rejected: [String: String] = [:]
      for values in table {
        var row = RawRow(kind: kind, line: 0, raw: "")
        for (f, v) in values {
          // Character references keep tabs and newlines as they are; trimming is the reader's.
          row[f] = String(trimUnicodeWhitespace(Substring(v)))
        }
        switch RowValidator.validate(row) {
        case .success(let o): accepted[values[kind.idField]!] = o
        case .failure(let p): rejected[values[kind.idField]!] = p.code
        }
      }
      #expect(accepted.count > 100 && rejected.count > 100)
      #expect(outcomes.first?.rowsAccepted == accepted.count)
      try Self.assertStored(db, kind, accepted: accepted, rejected: rejected)
    }
  }

  /// The database holds exactly the reference's rejects, and every stored
  /// record equals the reference's record for its id.
  static func assertStored(
    _ db: DatabaseQueue, _ kind: RecordKind, accepted: [String: RowValidator.Outcome], rejected: [String: String]
  ) throws {
    let storedRejects = try db.read {
      try Row.fetchAll($0, sql: "SELECT record_id, reason_code FROM reject").reduce(into: [String: String]()) {
        $0[$1[0] as String? ?? ""] = $1[1]
      }
    }
    #expect(storedRejects == rejected)
    try db.read { d in
      if kind == .result {
        let sql = "SELECT result_id, nhs_number, sample_id, sample_date, analyte, value, comparator, unit, specimen, note FROM result"
        for row in try Row.fetchAll(d, sql: sql) {
          let stored = ResultRecord(
            resultId: row[0], nhsNumber: row[1], sampleId: row[2], sampleDate: LocalDate(iso: row[3])!,
            analyte: Metal(rawValue: row[4])!, value: row[5], comparator: (row[6] as String?).flatMap(LabComparator.init(rawValue:)),
            unit: IonUnit(rawValue: row[7])!, specimen: SampleType(rawValue: row[8])!, note: row[9])
          guard case .result(let expected)? = accepted[stored.resultId] else {
            Issue.record("stored \(stored.resultId), which the reference rejects")
            continue
          }
          #expect(stored == expected)
        }
        return
      }
      if kind == .procedure {
        for row in try Row.fetchAll(d, sql: "SELECT \(ProcedureRecord.columns) FROM procedure") {
          let stored = ProcedureRecord(row: row)
          guard case .procedure(let expected)? = accepted[stored.procedureId] else {
            Issue.record("stored \(stored.procedureId), which the reference rejects")
            continue
          }
          #expect(stored == expected)
        }
      } else {
        for row in try Row.fetchAll(d, sql: "SELECT \(EventRecord.columns), note FROM event") {
          var stored = EventRecord(row: row)
          stored.note = row["note"]
          guard case .event(let expected, _)? = accepted[stored.eventId] else {
            Issue.record("stored \(stored.eventId), which the reference rejects")
            continue
          }
          #expect(stored == expected)
        }
      }
    }
  }
}
