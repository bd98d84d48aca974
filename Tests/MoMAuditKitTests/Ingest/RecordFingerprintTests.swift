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
}
