import Crypto
import Foundation
import Testing

@testable import MoMAuditKit

/// `content_hash` is SHA-256 of `String(describing: record)`; RecordText
/// writes that text without reflection. The fingerprints must not change,
/// or records loaded by an earlier version would no longer compare identical.
@Suite("Record fingerprints")
struct RecordFingerprintTests {
  /// The fingerprint as the first version computed it.
  static func reference(_ value: Any) -> String {
    SHA256.hash(data: Data(String(describing: value).utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
  }

  static let awkward: [String?] = [
    nil, "", "plain", "Smith & Nephew BHR head", "quote \" inside", "it's", "back\\slash", "tab\there",
    "line\nend", "cr\rhere", "nul\u{0}byte", "del\u{7F}", "é accent", "NHS\u{00A0}space", "emoji 🦴", "\u{301}leading combining",
    "bell\u{7}", "mu µg/L μg/L", "trailing space ", "{braces} [brackets] (parens) <angle>", "ASR-XL; BHR",
  ]

  static func procedure(_ i: Int) -> ProcedureRecord {
    let text = awkward[i % awkward.count]
    return ProcedureRecord(
      procedureId: "NJR-\(i)" + (text ?? ""), nhsNumber: "9434765919", localPatientId: awkward[(i + 3) % awkward.count],
      sex: Sex.allCases[i % Sex.allCases.count], dateOfBirth: i % 3 == 0 ? nil : LocalDate(year: 1900 + i % 100, month: 1 + i % 12, day: 1 + i % 28),
      procedureDate: LocalDate(year: 999 + i * 37 % 9000, month: 1 + i % 12, day: 1 + i % 28)!,
      side: Side.allCases[i % 2], procedureType: ProcedureType.allCases[i % ProcedureType.allCases.count],
      bearing: Bearing.allCases[i % Bearing.allCases.count],
      headDiameterMm: [nil, 46, 46.5, 20, 80, 0.1 + 0.2, 33.333333333333336, 1e-7][i % 8],
      femoralComponent: text, acetabularComponent: awkward[(i + 1) % awkward.count],
      stemComponent: awkward[(i + 2) % awkward.count], manufacturer: awkward[(i + 4) % awkward.count],
      opcsCode: i % 2 == 0 ? "W58.1" : nil, trustCode: "RXH", siteCode: awkward[(i + 5) % awkward.count],
      consultantCode: awkward[(i + 6) % awkward.count])
  }

  static func event(_ i: Int) -> EventRecord {
    EventRecord(
      eventId: "E\(i)", nhsNumber: "9434765919", eventDate: LocalDate(year: 2000 + i % 30, month: 1 + i % 12, day: 1 + i % 28)!,
      eventType: EventType.allCases[i % EventType.allCases.count],
      side: i % 4 == 0 ? nil : EventSide.allCases[i % EventSide.allCases.count],
      symptomatic: [nil, true, false][i % 3], oxfordHipScore: [nil, 0, 48, 17][i % 4],
      cobalt: [nil, 1.9, 7, 0.05, 1234.5678, -0.0][i % 6], chromium: [nil, 1.4, 120.0, 3e-5][i % 4],
      ionUnit: i % 3 == 0 ? nil : IonUnit.allCases[i % IonUnit.allCases.count],
      sampleType: i % 4 == 0 ? nil : SampleType.allCases[i % SampleType.allCases.count],
      imagingFinding: i % 5 == 0 ? nil : ImagingFinding.allCases[i % ImagingFinding.allCases.count],
      note: awkward[(i + 7) % awkward.count],
      cobaltComparator: i % 7 < 3 ? nil : LabComparator.allCases[i % LabComparator.allCases.count],
      chromiumComparator: i % 5 < 2 ? nil : LabComparator.allCases[(i / 2) % LabComparator.allCases.count])
  }

  @Test("procedure text is String(describing:) byte for byte, and the fingerprint unchanged")
  func procedures() {
    let text = RecordText()
    for i in 0..<400 {
      let p = Self.procedure(i)
      text.describe(p)
      #expect(String(decoding: text.bytes, as: UTF8.self) == String(describing: p))
      #expect(text.fingerprint(p) == Self.reference(p))
    }
  }

  @Test("event text is String(describing:) byte for byte, and the fingerprint unchanged")
  func events() {
    let text = RecordText()
    for i in 0..<400 {
      let e = Self.event(i)
      text.describe(e)
      #expect(String(decoding: text.bytes, as: UTF8.self) == RecordText.reference(e))
      #expect(text.fingerprint(e) == Self.reference(RecordText.reference(e)))
      if e.cobaltComparator != nil || e.chromiumComparator != nil {
        #expect(RecordText.reference(e) == String(describing: e))
      }
    }
  }

  /// Events without a censored value hash as before the comparators were
  /// added: these are fingerprints the previous version stored.
  @Test("an event without comparators keeps the fingerprint earlier versions stored")
  func legacyEventFingerprints() {
    let text = RecordText()
    var e0 = Self.event(0)
    e0.cobaltComparator = nil
    e0.chromiumComparator = nil
    #expect(text.fingerprint(e0) == "efb02e722f1e77d7be4d67d9c2dc1b40")
    var e1 = Self.event(1)
    e1.cobaltComparator = nil
    e1.chromiumComparator = nil
    #expect(text.fingerprint(e1) == "1a59773d4ece90e8f2654a459bf74a0b")
    #expect(!RecordText.reference(e1).contains("LabComparator"))
    e1.chromiumComparator = .lessThan
    #expect(text.fingerprint(e1) != "1a59773d4ece90e8f2654a459bf74a0b")
    #expect(RecordText.reference(e1).hasSuffix("cobaltComparator: nil, chromiumComparator: Optional(MoMAuditKit.LabComparator.lessThan))"))
  }

  @Test("IngestWriter.fingerprint of a string matches the first version")
  func stringFingerprint() {
    for s in ["", "a", "ProcedureRecord(…)", String(repeating: "x", count: 10_000)] {
      #expect(IngestWriter.fingerprint(s) == Self.reference(s))
    }
  }

  @Test("result text is String(describing:) byte for byte")
  func results() {
    let text = RecordText()
    for i in 0..<200 {
      let r = ResultRecord(
        resultId: "A25-\(i)/" + (Self.awkward[i % Self.awkward.count] ?? ""), nhsNumber: "9434765919",
        sampleId: Self.awkward[(i + 1) % Self.awkward.count], sampleDate: LocalDate(year: 2000 + i % 30, month: 1 + i % 12, day: 1 + i % 28)!,
        analyte: Metal.allCases[i % 2], value: [0.5, 7, 1234.5678, 3e-5, 0][i % 5],
        comparator: i % 3 == 0 ? nil : LabComparator.allCases[i % LabComparator.allCases.count],
        unit: IonUnit.allCases[i % IonUnit.allCases.count], specimen: SampleType.allCases[i % SampleType.allCases.count],
        note: Self.awkward[(i + 5) % Self.awkward.count])
      text.describe(r)
      #expect(String(decoding: text.bytes, as: UTF8.self) == String(describing: r))
      #expect(text.fingerprint(r) == Self.reference(r))
    }
  }

  // MARK: which thread computes them

  /// A batch's records as values: each cell resolved (text, int, double or
  /// null), whatever the order of its bytes buffer.
  static func describe(_ b: PackedBatch) -> [String] {
    b.withContents { cells, bytes in
      func cell(_ i: Int32) -> String {
        let c = cells[Int(i)]
        switch c.tag {
        case .null: return "nil"
        case .int: return "i\(c.value)"
        case .double: return "d\(Double(bitPattern: UInt64(bitPattern: c.value)))"
        case .text:
          return "t" + String(decoding: UnsafeBufferPointer(start: bytes + Int(c.value), count: Int(c.length)), as: UTF8.self)
        }
      }
      func run(_ first: Int32, _ count: Int) -> String { (0..<Int32(count)).map { cell(first + $0) }.joined(separator: "|") }
      return b.entries.map { entry in
        switch entry {
        case .procedure(let first, let line, let raw): "P\(line) " + run(first, PackedBatch.procedureCells) + " " + cell(raw)
        case .event(let first, let line, let raw, let w): "E\(line) " + run(first, PackedBatch.eventCells) + " " + cell(raw) + " w\(w)"
        case .result(let first, let line, let raw): "R\(line) " + run(first, PackedBatch.resultCells) + " " + cell(raw)
        case .exception(let first, let line, let raw): "X\(line) " + run(first, PackedBatch.exceptionCells) + " " + cell(raw)
        case .reject(let row, let problem): "reject \(row.line) \(problem.code)"
        case .unchanged(let kind, let rowid, let line, _, _): "unchanged \(kind) \(rowid) \(line)"
        }
      }
    }
  }

  @Test(
    "the reading thread and the writing thread pack the same fingerprints: CSV of each kind, and XML",
    arguments: [RecordKind.procedure, .event, .result, nil])
  func placement(_ kind: RecordKind?) throws {
    let t = TempDir()
    defer { t.cleanup() }
    let path =
      kind.map { t.write("\($0.rawValue).csv", FastPathDifferentialTests.file(kind: $0, rows: 1_500, seed: 21)) }
      ?? t.write("export.xml", FastPathDifferentialTests.xml(kind: .event, rows: 1_500, seed: 22).0)
    func packed(_ side: FileReadPlan.Fingerprints) throws -> (values: [String], leftToWriter: Int) {
      var plan = FileReadPlan(path: path, format: kind == nil ? .xml : .csv, encoding: .utf8, profile: Profile())
      plan.fingerprints = side
      var values: [String] = []
      var left = 0
      _ = try IngestPipeline.run(plan) { batch in
        left += batch.unhashed.count
        batch.fillFingerprints(RecordText())
        values += Self.describe(batch)
      }
      return (values, left)
    }
    let reader = try packed(.reader)
    let writer = try packed(.writer)
    let balanced = try packed(.balanced)
    #expect(reader.leftToWriter == 0)
    #expect(writer.leftToWriter > 500)
    #expect(reader.values.count == 1_500)
    // The first difference only, not two lists of 1,500 records.
    func firstDifference(_ a: [String], _ b: [String]) -> String? {
      zip(a, b).first { $0 != $1 }.map { "\($0.0)\n  vs \($0.1)" } ?? (a.count == b.count ? nil : "\(a.count) vs \(b.count) records")
    }
    #expect(firstDifference(reader.values, writer.values) == nil)
    #expect(firstDifference(balanced.values, writer.values) == nil)
  }
}
