/// A validated procedure row, every value normalised (registry-export.md, "Procedures").
package struct ProcedureRecord: Equatable, Sendable {
  package var procedureId: String
  package var nhsNumber: String
  package var localPatientId: String?
  package var sex: Sex
  package var dateOfBirth: LocalDate?
  package var procedureDate: LocalDate
  package var side: Side
  package var procedureType: ProcedureType
  package var bearing: Bearing
  package var headDiameterMm: Double?
  package var femoralComponent: String?
  package var acetabularComponent: String?
  package var stemComponent: String?
  package var manufacturer: String?
  package var opcsCode: String?
  package var trustCode: String?
  package var siteCode: String?
  package var consultantCode: String?

  /// Why the procedure is metal-on-metal (registry-export.md, Procedures),
  /// or nil when it is not: its bearing; for an unknown bearing, a component
  /// matching the implant library; or, for a resurfacing with an unknown
  /// bearing and no match, assumed (never a revision). A known non-MoM
  /// bearing is never overridden.
  package var momBasis: MoMBasis? { momFinding?.basis }

  /// `momBasis` with the implant library entry that decided it, if any
  /// (one library lookup).
  package var momFinding: (basis: MoMBasis, entry: ImplantLibrary.Entry?)? {
    switch bearing {
    case .mom: return (.bearing, nil)
    case .unknown:
      if let entry = libraryMatch { return (.components, entry) }
      return procedureType == .resurfacing ? (.assumed, nil) : nil
    default: return nil
    }
  }

  /// The implant library entry a component matches (any bearing).
  package var libraryMatch: ImplantLibrary.Entry? {
    ImplantLibrary.shipped.match([femoralComponent, acetabularComponent, stemComponent])
  }

  package var isMoM: Bool { momBasis != nil }
  /// DePuy ASR: the whole-word token `ASR` in any component.
  package var isASR: Bool {
    [femoralComponent, acetabularComponent, stemComponent].contains { $0.map(containsASRToken) ?? false }
  }
}

/// A validated result row (registry-export.md, "Results"): one analyte of
/// one laboratory sample. Results are assembled into ion tests at check time.
package struct ResultRecord: Equatable, Sendable {
  /// The row's `result_id`, or `sample_id/analyte` in a file without that column.
  package var resultId: String
  package var nhsNumber: String
  package var sampleId: String?
  package var sampleDate: LocalDate
  package var analyte: Metal
  /// As given, in `unit`, with its comparator when censored.
  package var value: Double
  package var comparator: LabComparator?
  package var unit: IonUnit
  package var specimen: SampleType
  package var note: String?

  package var valueMicrograms: Double { analyte.toMicrogramsPerLitre(value, unit: unit) }
  /// The value in µg/L with its comparator.
  package var labMicrograms: LabValue { LabValue(comparator, valueMicrograms) }
}

/// A validated exception row (registry-export.md, "Exceptions"): a
/// clinician's documented decision that a requirement (or all) does not
/// apply to a patient, or to one implant, until a review date.
package struct ExceptionRecord: Equatable, Sendable {
  package var exceptionId: String
  package var nhsNumber: String
  package var finding: ExceptionFinding
  /// Limits the exception to findings that name this implant.
  package var procedureId: String?
  package var reason: ExceptionReason
  /// The responsible clinician's code.
  package var recordedBy: String
  package var recordedOn: LocalDate
  /// Never before `recordedOn` (the row is rejected otherwise).
  package var reviewBy: LocalDate
  package var note: String?
}

/// How a procedure was found to be metal-on-metal.
package enum MoMBasis: String, Sendable, CaseIterable, Codable {
  /// Its bearing says MoM.
  case bearing
  /// Its bearing is unknown and a component matches the implant library.
  case components
  /// A resurfacing with an unknown bearing and no library match.
  case assumed
}

/// A validated event row. Fields that do not belong to the event's type were
/// checked for their kind and then dropped, so they are nil here.
package struct EventRecord: Equatable, Sendable {
  package var eventId: String
  package var nhsNumber: String
  package var eventDate: LocalDate
  package var eventType: EventType
  /// nil when blank (both hips / patient level, like `B`).
  package var side: EventSide?
  package var symptomatic: Bool?
  package var oxfordHipScore: Int?
  package var cobalt: Double?
  package var chromium: Double?
  package var ionUnit: IonUnit?
  package var sampleType: SampleType?
  package var imagingFinding: ImagingFinding?
  package var note: String?
  /// The comparator of a censored `cobalt` / `chromium` (`<0.5`); nil for a
  /// plain number. Declared last: the content fingerprint of an event
  /// without them is the text earlier versions hashed (RecordText).
  package var cobaltComparator: LabComparator? = nil
  package var chromiumComparator: LabComparator? = nil

  /// Cobalt as given, with its comparator.
  package var cobaltValue: LabValue? { cobalt.map { LabValue(cobaltComparator, $0) } }
  package var chromiumValue: LabValue? { chromium.map { LabValue(chromiumComparator, $0) } }

  /// Cobalt in µg/L with its comparator (the rules compare these).
  package var cobaltMicrogramsValue: LabValue? {
    cobaltMicrograms.map { LabValue(cobaltComparator, $0) }
  }
  package var chromiumMicrogramsValue: LabValue? {
    chromiumMicrograms.map { LabValue(chromiumComparator, $0) }
  }

  package var cobaltMicrograms: Double? {
    guard let v = cobalt, let u = ionUnit else { return nil }
    return Metal.cobalt.toMicrogramsPerLitre(v, unit: u)
  }
  package var chromiumMicrograms: Double? {
    guard let v = chromium, let u = ionUnit else { return nil }
    return Metal.chromium.toMicrogramsPerLitre(v, unit: u)
  }
}
