import Foundation
import Testing

@testable import MoMAuditKit

/// registry-export.md, "Procedures" and "Events": a row becomes a record or is
/// rejected with a reason naming the field, never guessed.
@Suite("Row validation")
struct RowValidatorTests {
  typealias P = RowProblem

  // MARK: procedures

  @Test("a procedure row normalises every value")
  func procedureNormalised() throws {
    let p = try #require(
      IX.procedure([
        .procedureId: "NJR-000123", .nhsNumber: "943 476 5919", .localPatientId: "H123", .sex: "F",
        .dateOfBirth: "14/3/1951", .procedureDate: "20060502", .side: "left", .procedureType: "HR",
        .bearing: "metal on metal", .headDiameterMm: "46.5", .femoralComponent: "DePuy ASR XL head",
        .acetabularComponent: "ASR cup", .stemComponent: "none", .manufacturer: "DePuy", .opcsCode: "W58.1",
        .trustCode: "RXH", .siteCode: "RXH01", .consultantCode: "C1234567",
      ]))
    #expect(
      p
        == ProcedureRecord(
          procedureId: "NJR-000123", nhsNumber: "9434765919", localPatientId: "H123", sex: .female,
          dateOfBirth: LocalDate(iso: "1951-03-14"), procedureDate: LocalDate(iso: "2006-05-02")!, side: .left,
          procedureType: .resurfacing, bearing: .mom, headDiameterMm: 46.5, femoralComponent: "DePuy ASR XL head",
          acetabularComponent: "ASR cup", stemComponent: "none", manufacturer: "DePuy", opcsCode: "W58.1",
          trustCode: "RXH", siteCode: "RXH01", consultantCode: "C1234567"))
    #expect(p.isMoM && p.isASR)
  }

  @Test("optional procedure fields left blank are null, sex unknown")
  func procedureBlanks() throws {
    let p = try #require(
      IX.procedure([.sex: "", .dateOfBirth: "", .headDiameterMm: "", .femoralComponent: "", .localPatientId: nil]))
    #expect(p.sex == .unknown)
    #expect(p.dateOfBirth == nil && p.headDiameterMm == nil && p.femoralComponent == nil && p.localPatientId == nil)
  }

  @Test("bearing is optional: blank or absent is unknown")
  func bearingOptional() throws {
    #expect(try #require(IX.procedure([.bearing: ""])).bearing == .unknown)
    #expect(try #require(IX.procedure([.bearing: nil])).bearing == .unknown)
    #expect(IX.procedureProblem([.bearing: "Metal/Metal"])?.code == "UNKNOWN_CODE")
  }

  @Test(
    "a blank required procedure field rejects the row",
    arguments: [Field.procedureId, .nhsNumber, .procedureDate, .side, .procedureType])
  func procedureRequired(_ field: Field) {
    let blank = IX.procedureProblem([field: ""])
    #expect(blank == P(field: field.name, code: "MISSING_FIELD", message: "\(field.name): required value is blank"))
    let absent = IX.procedureProblem([field: nil])
    #expect(absent == blank)
  }

  @Test(
    "an invalid NHS number rejects the row with the reason",
    arguments: [
      ("943476591", "invalid NHS number: not 10 digits"),
      ("94347659190", "invalid NHS number: not 10 digits"),
      ("9434765918", "invalid NHS number: fails the modulus-11 check"),
      ("9990100080", "invalid NHS number: fails the modulus-11 check"),
      ("1111111111", "invalid NHS number: all digits the same"),
      ("943 476 591X", "invalid NHS number: not 10 digits"),
    ])
  func procedureNHS(_ text: String, _ reason: String) {
    #expect(
      IX.procedureProblem([.nhsNumber: text])
        == P(field: "nhs_number", code: "INVALID_NHS_NUMBER", message: "nhs_number: " + reason))
    #expect(
      IX.eventProblem([.nhsNumber: text])
        == P(field: "nhs_number", code: "INVALID_NHS_NUMBER", message: "nhs_number: " + reason))
  }

  @Test(
    "an impossible or malformed date rejects the row, naming the field",
    arguments: [
      (Field.procedureDate, "31/02/2020"), (.procedureDate, "2019-02-29"), (.procedureDate, "1/1/20"),
      (.procedureDate, "2020-01-01x"), (.dateOfBirth, "31/02/2020"), (.dateOfBirth, "14-03-1951"),
    ])
  func procedureDates(_ field: Field, _ text: String) {
    #expect(
      IX.procedureProblem([field: text])
        == P(
          field: field.name, code: "INVALID_DATE",
          message: "\(field.name): \"\(text)\" is not a valid date (YYYY-MM-DD, DD/MM/YYYY, YYYYMMDD or D-Mon-YYYY)"))
  }

  @Test("a procedure side is L or R only: B, both are unknown codes", arguments: ["B", "both", "X"])
  func procedureSide(_ text: String) {
    #expect(
      IX.procedureProblem([.side: text])
        == P(field: "side", code: "UNKNOWN_CODE", message: "side: unknown code \"\(text)\""))
  }

  @Test(
    "unknown coded values on a procedure reject the row",
    arguments: [
      (Field.procedureType, "hemi"), (.bearing, "Metal/Metal"), (.sex, "U"), (.bearing, "MoM?"),
    ])
  func procedureCodes(_ field: Field, _ text: String) {
    #expect(
      IX.procedureProblem([field: text])
        == P(field: field.name, code: "UNKNOWN_CODE", message: "\(field.name): unknown code \"\(text)\""))
  }

  @Test(
    "head diameter 20–80 mm inclusive, decimals allowed",
    arguments: [("20", 20.0), ("80", 80.0), ("46.5", 46.5), ("+36", 36.0), ("80.0", 80.0)])
  func headInRange(_ text: String, _ mm: Double) {
    #expect(IX.procedure([.headDiameterMm: text])?.headDiameterMm == mm)
  }

  @Test(
    "a head diameter outside 20–80 mm rejects the row (compared at full precision)",
    arguments: ["19.99", "80.5", "0", "-46", "120", "80.00000000000001", "19.99999999999999"])
  func headOutOfRange(_ text: String) {
    #expect(
      IX.procedureProblem([.headDiameterMm: text])
        == P(
          field: "head_diameter_mm", code: "OUT_OF_RANGE", message: "head_diameter_mm: \"\(text)\" is outside 20–80 mm")
    )
  }

  @Test(
    "a head diameter that is not a number rejects the row", arguments: ["46mm", "4,6", "4.6e1", "46.", ".46", "NaN"])
  func headNotANumber(_ text: String) {
    #expect(
      IX.procedureProblem([.headDiameterMm: text])
        == P(
          field: "head_diameter_mm", code: "INVALID_NUMBER", message: "head_diameter_mm: \"\(text)\" is not a number"))
  }

  @Test("a procedure on the export date is kept; one after it is rejected")
  func procedureExportDate() {
    #expect(IX.procedure([.procedureDate: "2026-10-01"], exportDate: "2026-10-01") != nil)
    #expect(
      IX.procedureProblem([.procedureDate: "2026-10-02"], exportDate: "2026-10-01")
        == P(
          field: "procedure_date", code: "DATE_AFTER_EXPORT",
          message: "procedure_date: 2026-10-02 is after the export date 2026-10-01"))
  }

  @Test("a reader's problem rejects the row before any value is looked at")
  func readProblemFirst() {
    var row = IX.procedureRow([.nhsNumber: "bad"])
    let problem = P(field: "note", code: "NUL_CHARACTER", message: "note: contains a NUL character")
    row.readProblem = problem
    #expect(IX.problem(row) == problem)
  }

  // MARK: events

  @Test("an event row normalises every value")
  func eventNormalised() throws {
    let e = try #require(
      IX.event([
        .eventId: "E-1", .nhsNumber: "943-476-5919", .eventDate: "11/6/2025", .eventType: "Clinic", .side: "l",
        .symptomatic: "N", .oxfordHipScore: "44", .note: "seen in clinic",
      ]))
    #expect(
      e
        == EventRecord(
          eventId: "E-1", nhsNumber: "9434765919", eventDate: LocalDate(iso: "2025-06-11")!, eventType: .review,
          side: .left, symptomatic: false, oxfordHipScore: 44, note: "seen in clinic"))
  }

  @Test(
    "an event side may be L, R, B, both or blank (blank is none)",
    arguments: [("L", EventSide.left), ("right", .right), ("B", .both), ("both", .both), ("Both", .both)])
  func eventSide(_ text: String, _ side: EventSide) {
    #expect(IX.event([.side: text])?.side == side)
  }

  @Test("a blank event side is none; an unknown one rejects the row")
  func eventSideBlank() {
    #expect(IX.event([.side: ""])?.side == nil)
    #expect(IX.event([.side: nil]) != nil)
    #expect(
      IX.eventProblem([.side: "X"]) == P(field: "side", code: "UNKNOWN_CODE", message: "side: unknown code \"X\""))
  }

  @Test("a blank required event field rejects the row", arguments: [Field.eventId, .nhsNumber, .eventDate, .eventType])
  func eventRequired(_ field: Field) {
    #expect(
      IX.eventProblem([field: ""])
        == P(field: field.name, code: "MISSING_FIELD", message: "\(field.name): required value is blank"))
  }

  @Test("an unknown event type rejects the row")
  func eventTypeUnknown() {
    #expect(
      IX.eventProblem([.eventType: "telephone review"])
        == P(field: "event_type", code: "UNKNOWN_CODE", message: "event_type: unknown code \"telephone review\""))
  }

  @Test("an impossible event date rejects the row")
  func eventDate() {
    #expect(
      IX.eventProblem([.eventDate: "2019-02-29"])
        == P(
          field: "event_date", code: "INVALID_DATE",
          message: "event_date: \"2019-02-29\" is not a valid date (YYYY-MM-DD, DD/MM/YYYY, YYYYMMDD or D-Mon-YYYY)"))
  }

  // MARK: Oxford hip score

  @Test(
    "a review's Oxford hip score is a whole number 0–48",
    arguments: [("40", 40), ("40.0", 40), ("+40", 40), ("0", 0), ("48", 48), ("48.000", 48), ("007", 7)])
  func ohsAccepted(_ text: String, _ score: Int) {
    #expect(IX.event([.oxfordHipScore: text])?.oxfordHipScore == score)
  }

  @Test(
    "a review's Oxford hip score outside 0–48 or not whole rejects the review",
    arguments: ["49", "40.5", "-1", "48.5", "100", "-48", "0.1"])
  func ohsRejected(_ text: String) {
    #expect(
      IX.eventProblem([.oxfordHipScore: text])
        == P(
          field: "oxford_hip_score", code: "OUT_OF_RANGE",
          message: "oxford_hip_score: \"\(text)\" is not a whole number 0–48"))
  }

  @Test(
    "a review's Oxford hip score that is not a number rejects the review", arguments: ["forty", "40.", "4e1", "40,0"])
  func ohsNotANumber(_ text: String) {
    #expect(
      IX.eventProblem([.oxfordHipScore: text])
        == P(
          field: "oxford_hip_score", code: "INVALID_NUMBER", message: "oxford_hip_score: \"\(text)\" is not a number"))
  }

  @Test(
    "on other event types the Oxford hip score is foreign: it must be a number, is not range-checked, and is dropped",
    arguments: ["mars_mri", "ultrasound", "blood_metal_ions", "death", "xray"])
  func ohsForeign(_ type: String) throws {
    var set: [Field: String?] = [.eventType: type, .oxfordHipScore: "99.5"]
    if type == "blood_metal_ions" {
      set[.cobalt] = "1"
      set[.ionUnit] = "ug/L"
    }
    let e = try #require(IX.event(set))
    #expect(e.oxfordHipScore == nil)
    set[.oxfordHipScore] = "-3"
    #expect(IX.event(set)?.oxfordHipScore == nil)
    set[.oxfordHipScore] = "high"
    #expect(
      IX.eventProblem(set)
        == P(field: "oxford_hip_score", code: "INVALID_NUMBER", message: "oxford_hip_score: \"high\" is not a number"))
  }

  // MARK: symptomatic and other foreign fields

  @Test("symptomatic is recorded on a review; blank is not recorded")
  func symptomatic() {
    #expect(IX.event([.symptomatic: "Y"])?.symptomatic == true)
    #expect(IX.event([.symptomatic: "no"])?.symptomatic == false)
    #expect(IX.event([.symptomatic: ""])?.symptomatic == nil)
    #expect(
      IX.eventProblem([.symptomatic: "maybe"])
        == P(field: "symptomatic", code: "INVALID_BOOLEAN", message: "symptomatic: \"maybe\" is not yes/no"))
  }

  @Test("symptomatic on a scan must still be a boolean, and is dropped")
  func symptomaticForeign() {
    #expect(IX.event([.eventType: "mars_mri", .symptomatic: "Y"]).map { $0.symptomatic == nil } == true)
    #expect(
      IX.eventProblem([.eventType: "mars_mri", .symptomatic: "maybe"])
        == P(field: "symptomatic", code: "INVALID_BOOLEAN", message: "symptomatic: \"maybe\" is not yes/no"))
  }

  @Test("ion values on a review must still parse, are not sign-checked, and are dropped")
  func ionsOnReview() throws {
    let e = try #require(
      IX.event([.cobalt: "-3", .chromium: "2.5", .ionUnit: "nmol/L", .sampleType: "serum", .imagingFinding: "normal"]))
    #expect(e.cobalt == nil && e.chromium == nil && e.ionUnit == nil && e.sampleType == nil && e.imagingFinding == nil)
    #expect(e.oxfordHipScore == nil)
    #expect(
      IX.eventProblem([.cobalt: "1,5"])
        == P(field: "cobalt", code: "INVALID_NUMBER", message: "cobalt: \"1,5\" is not a number or a censored number (<0.5, >=200)"))
    #expect(
      IX.eventProblem([.ionUnit: "mg/L"])
        == P(field: "ion_unit", code: "UNKNOWN_CODE", message: "ion_unit: unknown code \"mg/L\""))
    #expect(
      IX.eventProblem([.sampleType: "urine"])
        == P(field: "sample_type", code: "UNKNOWN_CODE", message: "sample_type: unknown code \"urine\""))
    #expect(
      IX.eventProblem([.imagingFinding: "tumour"])
        == P(field: "imaging_finding", code: "UNKNOWN_CODE", message: "imaging_finding: unknown code \"tumour\""))
  }

  @Test("an imaging finding is kept on imaging events", arguments: ["mars_mri", "ultrasound", "xray"])
  func imagingFinding(_ type: String) {
    #expect(IX.event([.eventType: type, .imagingFinding: "Pseudotumour"])?.imagingFinding == .pseudotumour)
    #expect(IX.event([.eventType: type])?.imagingFinding == nil)
  }

  // MARK: ion events

  @Test("an ion event keeps its values as given with the unit; sample type defaults to whole blood")
  func ionEvent() throws {
    let e = try #require(
      IX.event([.eventType: "blood_metal_ions", .cobalt: "1.9", .chromium: "1.4", .ionUnit: "ug/L", .sampleType: ""]))
    #expect(e.cobalt == 1.9 && e.chromium == 1.4 && e.ionUnit == .microgramsPerLitre && e.sampleType == .wholeBlood)
    #expect(IX.event([.eventType: "ions", .cobalt: "1", .ionUnit: "ppb"])?.sampleType == .wholeBlood)
    #expect(IX.event([.eventType: "ions", .cobalt: "1", .ionUnit: "ppb", .sampleType: "SERUM"])?.sampleType == .serum)
    #expect(
      IX.event([.eventType: "ions", .cobalt: "1", .ionUnit: "ppb", .sampleType: "plasma"])?.sampleType == .plasma)
    #expect(IX.event([.eventType: "ions", .cobalt: "1", .ionUnit: "ppb", .symptomatic: "Y"])?.symptomatic == nil)
  }

  @Test("an ion event needs only one of cobalt and chromium")
  func ionEventOneMetal() {
    let co = IX.event([.eventType: "blood_metal_ions", .cobalt: "2", .ionUnit: "\u{00B5}g/L"])
    #expect(co?.cobalt == 2 && co?.chromium == nil && co?.ionUnit == .microgramsPerLitre)
    let cr = IX.event([.eventType: "blood_metal_ions", .chromium: "0", .ionUnit: "\u{03BC}g/L"])
    #expect(cr?.chromium == 0 && cr?.cobalt == nil && cr?.ionUnit == .microgramsPerLitre)
  }

  @Test("an ion event without cobalt or chromium is rejected")
  func ionEventNoMetal() {
    #expect(
      IX.eventProblem([.eventType: "blood_metal_ions", .cobalt: "", .chromium: "", .ionUnit: "ug/L"])
        == P(
          field: "cobalt", code: "MISSING_FIELD",
          message: "cobalt, chromium: an ion test needs at least one of cobalt and chromium"))
  }

  @Test("an ion event without a unit is rejected")
  func ionEventNoUnit() {
    #expect(
      IX.eventProblem([.eventType: "blood_metal_ions", .cobalt: "1.9", .ionUnit: ""])
        == P(field: "ion_unit", code: "MISSING_FIELD", message: "ion_unit: an ion test needs a unit"))
  }

  @Test(
    "a negative ion value is rejected", arguments: [(Field.cobalt, "-0.5"), (.chromium, "-1"), (.cobalt, "-0.000001")])
  func ionEventNegative(_ field: Field, _ text: String) {
    var set: [Field: String?] = [.eventType: "blood_metal_ions", .cobalt: "1", .chromium: "1", .ionUnit: "ug/L"]
    set[field] = text
    #expect(
      IX.eventProblem(set)
        == P(field: field.name, code: "NEGATIVE_VALUE", message: "\(field.name): \"\(text)\" is negative"))
  }

  @Test("an ion event with a unit outside the list is rejected", arguments: ["mg/L", "umol/L", "ng/mL"])
  func ionEventUnit(_ unit: String) {
    #expect(
      IX.eventProblem([.eventType: "blood_metal_ions", .cobalt: "1", .ionUnit: unit])
        == P(field: "ion_unit", code: "UNKNOWN_CODE", message: "ion_unit: unknown code \"\(unit)\""))
  }

  @Test(
    "an ion value that is not a number rejects the event", arguments: ["1e2", "5.", ".5", "NaN", "inf", "1,5", "1 000"])
  func ionEventNumber(_ text: String) {
    #expect(
      IX.eventProblem([.eventType: "blood_metal_ions", .cobalt: text, .ionUnit: "ug/L"])
        == P(field: "cobalt", code: "INVALID_NUMBER", message: "cobalt: \"\(text)\" is not a number or a censored number (<0.5, >=200)"))
  }

  // MARK: export date

  @Test("an event after the export date is kept with a RECORD_AFTER_EXPORT_DATE warning")
  func eventAfterExport() {
    #expect(IX.eventWarnings([.eventDate: "2026-10-01"], exportDate: "2026-10-01") == [])
    #expect(
      IX.eventWarnings([.eventDate: "2026-11-01"], exportDate: "2026-10-01")
        == [
          RecordWarning(
            code: "RECORD_AFTER_EXPORT_DATE", detail: "event dated 2026-11-01, after the export date 2026-10-01")
        ])
  }

  @Test("a message quotes at most 40 characters of a bad value")
  func quotedShortened() {
    let long = String(repeating: "x", count: 50)
    #expect(
      IX.procedureProblem([.bearing: long])?.message == "bearing: unknown code \"" + String(repeating: "x", count: 40)
        + "…\"")
  }

  static func result(specimen: String) -> Result<RowValidator.Outcome, RowProblem> {
    var row = RawRow(kind: .result, line: 2, raw: "")
    for (f, v) in [(Field.resultId, "R1"), (.nhsNumber, "9434765919"), (.sampleDate, "2025-06-11"), (.analyte, "cobalt"),
      (.value, "1.9"), (.unit, "ug/L"), (.specimen, specimen)] { row[f] = v }
    return RowValidator.validate(row)
  }

  @Test(
    "a result's specimen: the sample types and the contract's names of whole blood, nothing else",
    arguments: [
      ("", "whole_blood"), ("whole_blood", "whole_blood"), ("blood", "whole_blood"), ("EDTA blood", "whole_blood"),
      ("edta whole blood", "whole_blood"), ("Whole Blood EDTA", "whole_blood"), ("Serum", "serum"), ("plasma", "plasma"),
      ("whole blood", "-"), ("EDTA", "-"), ("urine", "-"),
    ])
  func resultSpecimen(_ text: String, _ expected: String) {
    switch Self.result(specimen: text) {
    case .success(.result(let r)): #expect(r.specimen.rawValue == expected)
    case .failure(let p): #expect(expected == "-" && p == P(field: "specimen", code: "UNKNOWN_CODE", message: "specimen: unknown code \"\(text)\""))
    default: Issue.record("not a result")
    }
  }
}
