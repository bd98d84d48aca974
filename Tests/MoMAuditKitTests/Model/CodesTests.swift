import Foundation
import Testing

@testable import MoMAuditKit

/// registry-export.md: coded values with their synonyms, matched after
/// trimming with Unicode case folding; the DePuy ASR whole-word rule; unit
/// conversion to µg/L.
@Suite("Coded values")
struct CodesTests {
  // MARK: sides

  @Test(
    "procedure sides: L, R, left, right in any case",
    arguments: [
      ("L", Side.left), ("l", .left), ("left", .left), ("LEFT", .left), ("Left", .left),
      ("R", .right), ("r", .right), ("right", .right), ("RIGHT", .right), ("rIgHt", .right),
    ])
  func sideAccepted(_ text: String, _ side: Side) {
    #expect(Side(code: text) == side)
  }

  @Test(
    "a procedure side is only L or R (no B, both or blank)",
    arguments: ["B", "b", "both", "BOTH", "", "Lt", "Rt", "LR", "bilateral", "1"])
  func sideRejected(_ text: String) {
    #expect(Side(code: text) == nil)
  }

  @Test(
    "event sides also accept B and both",
    arguments: [
      ("L", EventSide.left), ("left", .left), ("R", .right), ("Right", .right),
      ("B", .both), ("b", .both), ("both", .both), ("BOTH", .both), ("Both", .both),
    ])
  func eventSideAccepted(_ text: String, _ side: EventSide) {
    #expect(EventSide(code: text) == side)
  }

  @Test("an event side B covers either hip; L and R only their own")
  func eventSideCovers() {
    #expect(EventSide.both.covers(.left) && EventSide.both.covers(.right))
    #expect(EventSide.left.covers(.left) && !EventSide.left.covers(.right))
    #expect(EventSide.right.covers(.right) && !EventSide.right.covers(.left))
  }

  @Test("unknown event sides are not codes", arguments: ["X", "bilateral", "LR", "0"])
  func eventSideRejected(_ text: String) {
    #expect(EventSide(code: text) == nil)
  }

  // MARK: sex

  @Test(
    "sex synonyms",
    arguments: [
      ("1", Sex.male), ("M", .male), ("m", .male), ("male", .male), ("MALE", .male), ("Male", .male),
      ("2", .female), ("F", .female), ("f", .female), ("female", .female), ("FEMALE", .female), ("Female", .female),
      ("0", .unknown), ("9", .unknown), ("X", .unknown), ("x", .unknown), ("", .unknown),
    ])
  func sexAccepted(_ text: String, _ sex: Sex) {
    #expect(Sex(code: text) == sex)
  }

  @Test("other sex values are not codes", arguments: ["U", "3", "mal", "woman", "unknown", "I", "01"])
  func sexRejected(_ text: String) {
    #expect(Sex(code: text) == nil)
  }

  // MARK: procedure types and bearings

  @Test(
    "procedure types and their synonyms, in any case",
    arguments: [
      ("total_hip", ProcedureType.totalHip), ("TOTAL_HIP", .totalHip), ("THR", .totalHip), ("Thr", .totalHip),
      ("thr", .totalHip), ("primary_thr", .totalHip), ("Primary_THR", .totalHip),
      ("resurfacing", .resurfacing), ("Resurfacing", .resurfacing), ("HR", .resurfacing), ("hr", .resurfacing),
      ("hip_resurfacing", .resurfacing), ("HIP_RESURFACING", .resurfacing),
      ("revision", .revision), ("REVISION", .revision), ("rev", .revision), ("Rev", .revision),
    ])
  func procedureTypeAccepted(_ text: String, _ type: ProcedureType) {
    #expect(ProcedureType(code: text) == type)
  }

  @Test(
    "other procedure types are not codes",
    arguments: ["total hip", "THA", "primary", "hemi", "resurface", "revision_thr", ""])
  func procedureTypeRejected(_ text: String) {
    #expect(ProcedureType(code: text) == nil)
  }

  @Test(
    "bearings, with every metal-on-metal spelling in any case",
    arguments: [
      ("MoM", Bearing.mom), ("MOM", .mom), ("mom", .mom), ("metal-on-metal", .mom), ("METAL-ON-METAL", .mom),
      ("Metal-On-Metal", .mom), ("metal on metal", .mom), ("METAL ON METAL", .mom), ("M-o-M", .mom), ("m-o-m", .mom),
      ("M-O-M", .mom),
      ("MoP", .mop), ("MOP", .mop), ("CoC", .coc), ("coc", .coc), ("CoP", .cop), ("CoM", .com), ("MoC", .moc),
      ("unknown", .unknown), ("UNKNOWN", .unknown),
    ])
  func bearingAccepted(_ text: String, _ bearing: Bearing) {
    #expect(Bearing(code: text) == bearing)
  }

  @Test(
    "other bearings are not codes",
    arguments: ["Metal/Metal", "metal-metal", "metalonmetal", "metal  on  metal", "MoM/MoP", "M-o-P", "MM", "", "?"])
  func bearingRejected(_ text: String) {
    #expect(Bearing(code: text) == nil)
  }

  // MARK: events

  @Test(
    "event types and their synonyms, in any case",
    arguments: [
      ("review", EventType.review), ("REVIEW", .review), ("clinic", .review), ("Clinic", .review),
      ("follow_up", .review), ("telephone_review", .review), ("Telephone_Review", .review), ("virtual_review", .review),
      ("blood_metal_ions", .bloodMetalIons), ("BLOOD_METAL_IONS", .bloodMetalIons), ("ions", .bloodMetalIons),
      ("metal_ions", .bloodMetalIons), ("blood_test", .bloodMetalIons),
      ("mars_mri", .marsMRI), ("MARS_MRI", .marsMRI), ("mri", .marsMRI), ("MRI", .marsMRI),
      ("ultrasound", .ultrasound), ("us", .ultrasound), ("US", .ultrasound),
      ("xray", .xray), ("radiograph", .xray), ("XRAY", .xray),
      ("did_not_attend", .didNotAttend), ("dna", .didNotAttend), ("DNA", .didNotAttend),
      ("declined_follow_up", .declinedFollowUp), ("declined", .declinedFollowUp),
      ("transferred_out", .transferredOut), ("transfer", .transferredOut),
      ("death", .death), ("deceased", .death), ("Deceased", .death),
    ])
  func eventTypeAccepted(_ text: String, _ type: EventType) {
    #expect(EventType(code: text) == type)
  }

  @Test(
    "other event types are not codes",
    arguments: ["telephone review", "x-ray", "blood", "follow-up", "died", "ct", "mars mri", ""])
  func eventTypeRejected(_ text: String) {
    #expect(EventType(code: text) == nil)
  }

  @Test(
    "ion units: ug/L, µg/L (micro sign or Greek mu) and ppb are one unit; nmol/L the other",
    arguments: [
      ("ug/L", IonUnit.microgramsPerLitre), ("UG/L", .microgramsPerLitre), ("ug/l", .microgramsPerLitre),
      ("\u{00B5}g/L", .microgramsPerLitre),  // micro sign
      ("\u{03BC}g/L", .microgramsPerLitre),  // Greek small mu
      ("\u{00B5}G/L", .microgramsPerLitre),
      ("\u{03BC}g/l", .microgramsPerLitre),
      // Unicode case folding maps capital mu (U+039C) to small mu (U+03BC)
      ("\u{039C}G/L", .microgramsPerLitre),
      ("ppb", .microgramsPerLitre), ("PPB", .microgramsPerLitre),
      ("nmol/L", .nanomolesPerLitre), ("NMOL/L", .nanomolesPerLitre), ("nmol/l", .nanomolesPerLitre),
    ])
  func ionUnitAccepted(_ text: String, _ unit: IonUnit) {
    #expect(IonUnit(code: text) == unit)
  }

  @Test(
    "other units are not ion units",
    arguments: ["mg/L", "umol/L", "\u{00B5}mol/L", "ug/dL", "ng/mL", "ppm", "nmol", "ug", "u g/L", "mcg/L", ""])
  func ionUnitRejected(_ text: String) {
    #expect(IonUnit(code: text) == nil)
  }

  @Test(
    "sample types",
    arguments: [
      ("whole_blood", SampleType.wholeBlood), ("WHOLE_BLOOD", .wholeBlood), ("Whole_Blood", .wholeBlood),
      ("serum", .serum), ("SERUM", .serum), ("plasma", .plasma), ("Plasma", .plasma),
    ])
  func sampleTypeAccepted(_ text: String, _ type: SampleType) {
    #expect(SampleType(code: text) == type)
  }

  @Test("other sample types are not codes", arguments: ["blood", "whole blood", "urine", "wb"])
  func sampleTypeRejected(_ text: String) {
    #expect(SampleType(code: text) == nil)
  }

  @Test(
    "imaging findings",
    arguments: [
      ("normal", ImagingFinding.normal), ("NORMAL", .normal), ("fluid_collection", .fluidCollection),
      ("pseudotumour", .pseudotumour), ("Pseudotumour", .pseudotumour),
      ("muscle_or_bone_damage", .muscleOrBoneDamage), ("other", .other), ("OTHER", .other),
    ])
  func findingAccepted(_ text: String, _ finding: ImagingFinding) {
    #expect(ImagingFinding(code: text) == finding)
  }

  @Test("other imaging findings are not codes", arguments: ["pseudotumor", "tumour", "abnormal", "fluid collection"])
  func findingRejected(_ text: String) {
    #expect(ImagingFinding(code: text) == nil)
  }

  // MARK: DePuy ASR

  @Test(
    "ASR as a whole word marks a DePuy ASR device",
    arguments: [
      "ASR XL", "asr cup", "ASR-XL", "(ASR)", "ASR", "Asr", "aSr", "DePuy ASR XL head", "DePuy ASR", "x/ASR/y",
      "ASR.", "ASR,XL", "ASR\u{00A0}XL", "[asr]", "ASR\tcup", "\"ASR\"",
    ])
  func asrMatches(_ text: String) {
    #expect(containsASRToken(text))
  }

  @Test(
    "ASR inside a longer word is not DePuy ASR",
    arguments: [
      "LASR", "ASRXL", "ASR_XL", "_ASR", "ASR1", "1ASR", "LASR XL", "A S R", "AS R", "BHR", "ASX", "", "AS", "asr2 cup",
      "BASR-XL",
    ])
  func asrDoesNotMatch(_ text: String) {
    #expect(!containsASRToken(text))
  }

  @Test("a procedure is ASR when any of its three components has the token")
  func asrOnRecord() throws {
    for field in [Field.femoralComponent, .acetabularComponent, .stemComponent] {
      let p = try #require(IX.procedure([field: "DePuy ASR-XL"]))
      #expect(p.isASR, "\(field.name)")
      let q = try #require(IX.procedure([field: "DePuy LASR"]))
      #expect(!q.isASR, "\(field.name)")
    }
    #expect(try #require(IX.procedure([:])).isASR == false)
  }

  // MARK: units

  @Test("nmol/L converts to µg/L with Co 58.933 and Cr 51.996, at full precision")
  func conversion() {
    #expect(Metal.cobalt.toMicrogramsPerLitre(100, unit: .nanomolesPerLitre) == 100 * 0.058933)
    #expect(Metal.chromium.toMicrogramsPerLitre(100, unit: .nanomolesPerLitre) == 100 * 0.051996)
    #expect(Metal.cobalt.toMicrogramsPerLitre(119, unit: .nanomolesPerLitre) == 119 * 0.058933)
    #expect(Metal.chromium.toMicrogramsPerLitre(134.6, unit: .nanomolesPerLitre) == 134.6 * 0.051996)
    #expect(Metal.cobalt.toMicrogramsPerLitre(1, unit: .nanomolesPerLitre) == 0.058933)
    #expect(Metal.chromium.toMicrogramsPerLitre(1, unit: .nanomolesPerLitre) == 0.051996)
    #expect(Metal.cobalt.toMicrogramsPerLitre(7.0000001, unit: .microgramsPerLitre) == 7.0000001)
    #expect(Metal.chromium.toMicrogramsPerLitre(6.99, unit: .microgramsPerLitre) == 6.99)
    // 7 µg/L cobalt = 118.779... nmol/L: 118.77 stays under 7, 118.78 is over it
    #expect(Metal.cobalt.toMicrogramsPerLitre(118.77, unit: .nanomolesPerLitre) < 7)
    #expect(Metal.cobalt.toMicrogramsPerLitre(118.78, unit: .nanomolesPerLitre) > 7)
  }

  @Test("an event record gives its ion values in µg/L")
  func recordConversion() throws {
    let e = try #require(
      IX.event([.eventType: "blood_metal_ions", .cobalt: "119", .chromium: "134.6", .ionUnit: "nmol/L"]))
    #expect(e.cobalt == 119 && e.chromium == 134.6)
    #expect(e.cobaltMicrograms == 119 * 0.058933)
    #expect(e.chromiumMicrograms == 134.6 * 0.051996)
    let u = try #require(IX.event([.eventType: "blood_metal_ions", .cobalt: "1.9", .ionUnit: "ppb"]))
    #expect(u.cobaltMicrograms == 1.9)
    #expect(u.chromiumMicrograms == nil)
  }
}
