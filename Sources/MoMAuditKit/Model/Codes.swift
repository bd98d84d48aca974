/// Coded values of registry-export.md, each with the synonyms it accepts.
/// Matching is case-insensitive (Unicode case folding) after trimming.
package protocol CodedValue: RawRepresentable, CaseIterable, Sendable where RawValue == String {
  /// Accepted spellings, already case-folded, canonical first.
  static var spellings: [(String, Self)] { get }
  /// Field name used in reject messages.
  static var fieldLabel: String { get }
}

extension CodedValue {
  package init?(code text: String) {
    let folded = foldCase(text)
    guard let match = Self.spellings.first(where: { $0.0 == folded }) else { return nil }
    self = match.1
  }
}

package enum Side: String, CodedValue {
  case left = "L", right = "R"
  package static let spellings: [(String, Side)] = [("l", .left), ("r", .right), ("left", .left), ("right", .right)]
  package static let fieldLabel = "side"
}

/// An event's side: one hip, or both / patient level (`B` or blank).
package enum EventSide: String, CodedValue {
  case left = "L", right = "R", both = "B"
  package static let spellings: [(String, EventSide)] = [
    ("l", .left), ("r", .right), ("left", .left), ("right", .right), ("b", .both), ("both", .both),
  ]
  package static let fieldLabel = "side"

  /// Does an event with this side count for a hip on `side`?
  package func covers(_ side: Side) -> Bool {
    switch self {
    case .both: return true
    case .left: return side == .left
    case .right: return side == .right
    }
  }
}

package enum Sex: String, CodedValue {
  case male, female, unknown
  package static let spellings: [(String, Sex)] = [
    ("1", .male), ("m", .male), ("male", .male),
    ("2", .female), ("f", .female), ("female", .female),
    ("0", .unknown), ("9", .unknown), ("x", .unknown), ("", .unknown),
  ]
  package static let fieldLabel = "sex"
}

package enum ProcedureType: String, CodedValue {
  case totalHip = "total_hip", resurfacing, revision
  package static let spellings: [(String, ProcedureType)] = [
    ("total_hip", .totalHip), ("thr", .totalHip), ("primary_thr", .totalHip),
    ("resurfacing", .resurfacing), ("hr", .resurfacing), ("hip_resurfacing", .resurfacing),
    ("revision", .revision), ("rev", .revision),
  ]
  package static let fieldLabel = "procedure_type"
}

package enum Bearing: String, CodedValue {
  case mom = "MoM", mop = "MoP", coc = "CoC", cop = "CoP", com = "CoM", moc = "MoC", unknown
  package static let spellings: [(String, Bearing)] = [
    ("mom", .mom), ("metal-on-metal", .mom), ("metal on metal", .mom), ("m-o-m", .mom),
    ("mop", .mop), ("coc", .coc), ("cop", .cop), ("com", .com), ("moc", .moc), ("unknown", .unknown),
  ]
  package static let fieldLabel = "bearing"
}

package enum EventType: String, CodedValue {
  case review, bloodMetalIons = "blood_metal_ions", marsMRI = "mars_mri", ultrasound, xray
  case didNotAttend = "did_not_attend", declinedFollowUp = "declined_follow_up"
  case transferredOut = "transferred_out", death
  package static let spellings: [(String, EventType)] = [
    ("review", .review), ("clinic", .review), ("follow_up", .review),
    ("telephone_review", .review), ("virtual_review", .review),
    ("blood_metal_ions", .bloodMetalIons), ("ions", .bloodMetalIons),
    ("metal_ions", .bloodMetalIons), ("blood_test", .bloodMetalIons),
    ("mars_mri", .marsMRI), ("mri", .marsMRI),
    ("ultrasound", .ultrasound), ("us", .ultrasound),
    ("xray", .xray), ("radiograph", .xray),
    ("did_not_attend", .didNotAttend), ("dna", .didNotAttend),
    ("declined_follow_up", .declinedFollowUp), ("declined", .declinedFollowUp),
    ("transferred_out", .transferredOut), ("transfer", .transferredOut),
    ("death", .death), ("deceased", .death),
  ]
  package static let fieldLabel = "event_type"

  /// MARS MRI or ultrasound ("cross-sectional imaging").
  package var isCrossSectionalImaging: Bool { self == .marsMRI || self == .ultrasound }
  /// Booked appointments, for the DID_NOT_ATTEND flag.
  package var isAppointment: Bool {
    switch self {
    case .review, .bloodMetalIons, .marsMRI, .ultrasound, .xray, .didNotAttend: return true
    default: return false
    }
  }
}

package enum IonUnit: String, CodedValue {
  case microgramsPerLitre = "ug/L", nanomolesPerLitre = "nmol/L"
  // µg/L folds to μg/L (micro sign case-folds to Greek mu), so one spelling covers both.
  package static let spellings: [(String, IonUnit)] = [
    ("ug/l", .microgramsPerLitre), ("μg/l", .microgramsPerLitre), ("ppb", .microgramsPerLitre),
    ("nmol/l", .nanomolesPerLitre),
  ]
  package static let fieldLabel = "ion_unit"
}

package enum SampleType: String, CodedValue {
  case wholeBlood = "whole_blood", serum, plasma
  package static let spellings: [(String, SampleType)] = [
    ("whole_blood", .wholeBlood), ("serum", .serum), ("plasma", .plasma),
  ]
  package static let fieldLabel = "sample_type"
}

package enum ImagingFinding: String, CodedValue {
  case normal, fluidCollection = "fluid_collection", pseudotumour
  case muscleOrBoneDamage = "muscle_or_bone_damage", other
  package static let spellings: [(String, ImagingFinding)] = [
    ("normal", .normal), ("fluid_collection", .fluidCollection), ("pseudotumour", .pseudotumour),
    ("muscle_or_bone_damage", .muscleOrBoneDamage), ("other", .other),
  ]
  package static let fieldLabel = "imaging_finding"
}

package enum ComponentRole: String, CodedValue {
  case femoral, acetabular, stem
  package static let spellings: [(String, ComponentRole)] = [
    ("femoral", .femoral), ("acetabular", .acetabular), ("stem", .stem),
  ]
  package static let fieldLabel = "component role"
}

/// Unit conversion to µg/L: standard atomic weights Co 58.933, Cr 51.996 g/mol.
package enum Metal: String, Sendable, CaseIterable {
  case cobalt, chromium
  package var nmolToMicrograms: Double { self == .cobalt ? 0.058933 : 0.051996 }
  package func toMicrogramsPerLitre(_ value: Double, unit: IonUnit) -> Double {
    unit == .microgramsPerLitre ? value : value * nmolToMicrograms
  }
}

/// DePuy ASR: the token `ASR` as a whole word (ASCII case-insensitive; letters,
/// digits and `_` are word characters).
/// A word character of ASCII text (letters, digits, `_`): what
/// `Unicode.Scalar.properties` says of an ASCII scalar, on its byte.
@inline(__always) func isASCIIWordByte(_ c: UInt8) -> Bool {
  c == 0x5F || (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A)
}

package func containsASRToken(_ text: String) -> Bool {
  let u = Array(text.unicodeScalars)
  guard u.count >= 3 else { return false }
  func isWord(_ c: Unicode.Scalar) -> Bool {
    c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil
  }
  func isLetter(_ c: Unicode.Scalar, _ lower: Unicode.Scalar) -> Bool {
    c == lower || c.value == lower.value - 32
  }
  var i = 0
  while i + 3 <= u.count {
    if isLetter(u[i], "a"), isLetter(u[i + 1], "s"), isLetter(u[i + 2], "r"),
      i == 0 || !isWord(u[i - 1]), i + 3 == u.count || !isWord(u[i + 3])
    {
      return true
    }
    i += 1
  }
  return false
}

/// Why a clinician excepted a patient from a requirement (registry-export.md, Exceptions).
package enum ExceptionReason: String, CodedValue {
  /// The test or scan is unsuitable for this patient (e.g. MRI contraindicated).
  case clinicallyUnsuitable = "clinically_unsuitable"
  /// The patient chose, after discussion, not to have it.
  case informedDissent = "informed_dissent"
  /// A documented individual follow-up plan.
  case individualPlan = "individual_plan"
  package static let spellings: [(String, ExceptionReason)] = [
    ("clinically_unsuitable", .clinicallyUnsuitable), ("informed_dissent", .informedDissent),
    ("individual_plan", .individualPlan),
  ]
  package static let fieldLabel = "reason"
}

/// What an exception covers: one finding code of surveillance-rules.md §4, or `ALL`.
package enum ExceptionFinding: String, CodedValue {
  case all = "ALL"
  case reviewOverdue = "REVIEW_OVERDUE"
  case ionsOverdue = "IONS_OVERDUE"
  case ionRepeatOverdue = "ION_REPEAT_OVERDUE"
  case imagingRisingIonsOverdue = "IMAGING_RISING_IONS_OVERDUE"
  case imagingSymptomsOverdue = "IMAGING_SYMPTOMS_OVERDUE"
  case imagingBaselineMissing = "IMAGING_BASELINE_MISSING"
  package static let spellings: [(String, ExceptionFinding)] = allCases.map { (foldCase($0.rawValue), $0) }
  package static let fieldLabel = "finding"

  /// Does an exception of this scope cover findings with `code`?
  package func covers(_ code: String) -> Bool { self == .all || rawValue == code }
}
