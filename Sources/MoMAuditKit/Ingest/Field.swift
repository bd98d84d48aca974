/// Canonical field names of registry-export.md. A row travels from a reader to
/// the validator as an array indexed by `Field.rawValue`.
package enum Field: Int, CaseIterable, Sendable {
  // procedures
  case procedureId, nhsNumber, localPatientId, sex, dateOfBirth, procedureDate, side
  case procedureType, bearing, headDiameterMm, femoralComponent, acetabularComponent
  case stemComponent, manufacturer, opcsCode, trustCode, siteCode, consultantCode
  // events
  case eventId, eventDate, eventType, symptomatic, oxfordHipScore, cobalt, chromium
  case ionUnit, sampleType, imagingFinding, note
  case resultId, sampleId, sampleDate, analyte, value, unit, specimen
  // exceptions (and procedure_id, nhs_number, note above)
  case exceptionId, finding, reason, recordedBy, recordedOn, reviewBy

  /// The CSV header name (snake_case).
  package var name: String {
    switch self {
    case .procedureId: return "procedure_id"
    case .nhsNumber: return "nhs_number"
    case .localPatientId: return "local_patient_id"
    case .sex: return "sex"
    case .dateOfBirth: return "date_of_birth"
    case .procedureDate: return "procedure_date"
    case .side: return "side"
    case .procedureType: return "procedure_type"
    case .bearing: return "bearing"
    case .headDiameterMm: return "head_diameter_mm"
    case .femoralComponent: return "femoral_component"
    case .acetabularComponent: return "acetabular_component"
    case .stemComponent: return "stem_component"
    case .manufacturer: return "manufacturer"
    case .opcsCode: return "opcs_code"
    case .trustCode: return "trust_code"
    case .siteCode: return "site_code"
    case .consultantCode: return "consultant_code"
    case .eventId: return "event_id"
    case .eventDate: return "event_date"
    case .eventType: return "event_type"
    case .symptomatic: return "symptomatic"
    case .oxfordHipScore: return "oxford_hip_score"
    case .cobalt: return "cobalt"
    case .chromium: return "chromium"
    case .ionUnit: return "ion_unit"
    case .sampleType: return "sample_type"
    case .imagingFinding: return "imaging_finding"
    case .note: return "note"
    case .resultId: return "result_id"
    case .sampleId: return "sample_id"
    case .sampleDate: return "sample_date"
    case .analyte: return "analyte"
    case .value: return "value"
    case .unit: return "unit"
    case .specimen: return "specimen"
    case .exceptionId: return "exception_id"
    case .finding: return "finding"
    case .reason: return "reason"
    case .recordedBy: return "recorded_by"
    case .recordedOn: return "recorded_on"
    case .reviewBy: return "review_by"
    }
  }

  /// The XML attribute name (lowerCamelCase of the canonical name).
  package var xmlName: String {
    var out = ""
    var upper = false
    for c in name {
      if c == "_" { upper = true; continue }
      out.append(upper ? Character(c.uppercased()) : c)
      upper = false
    }
    return out
  }

  package static let procedureFields: [Field] = [
    .procedureId, .nhsNumber, .localPatientId, .sex, .dateOfBirth, .procedureDate, .side,
    .procedureType, .bearing, .headDiameterMm, .femoralComponent, .acetabularComponent,
    .stemComponent, .manufacturer, .opcsCode, .trustCode, .siteCode, .consultantCode,
  ]
  package static let requiredProcedureFields: [Field] = [
    .procedureId, .nhsNumber, .procedureDate, .side, .procedureType,
  ]
  package static let eventFields: [Field] = [
    .eventId, .nhsNumber, .eventDate, .eventType, .side, .symptomatic, .oxfordHipScore,
    .cobalt, .chromium, .ionUnit, .sampleType, .imagingFinding, .note,
  ]
  package static let requiredEventFields: [Field] = [.eventId, .nhsNumber, .eventDate, .eventType]
  package static let resultFields: [Field] = [
    .resultId, .nhsNumber, .sampleId, .sampleDate, .analyte, .value, .unit, .specimen, .note,
  ]
  /// `result_id` is required unless the file has a `sample_id` column (CSVHeader decides).
  package static let requiredResultFields: [Field] = [.nhsNumber, .sampleDate, .analyte, .value, .unit]

  package static let exceptionFields: [Field] = [
    .exceptionId, .nhsNumber, .finding, .procedureId, .reason, .recordedBy, .recordedOn, .reviewBy, .note,
  ]
  package static let requiredExceptionFields: [Field] = [
    .exceptionId, .nhsNumber, .finding, .reason, .recordedBy, .recordedOn, .reviewBy,
  ]

  private static let byFoldedName: [String: Field] = {
    var d: [String: Field] = [:]
    for f in Field.allCases { d[f.name] = f }
    return d
  }()

  /// Looks up a header name (already trimmed and case-folded).
  package static func named(_ foldedName: String) -> Field? { byFoldedName[foldedName] }

  private static let byXMLName: [String: Field] = {
    var d: [String: Field] = [:]
    for f in Field.allCases { d[f.xmlName] = f }
    return d
  }()

  package static func xmlNamed(_ name: String) -> Field? { byXMLName[name] }
}

package enum RecordKind: String, Sendable, CaseIterable {
  case procedure, event, result, exception
  package var idField: Field {
    switch self {
    case .procedure: return .procedureId
    case .event: return .eventId
    case .result: return .resultId
    case .exception: return .exceptionId
    }
  }
  package var fields: [Field] {
    switch self {
    case .procedure: return Field.procedureFields
    case .event: return Field.eventFields
    case .result: return Field.resultFields
    case .exception: return Field.exceptionFields
    }
  }
  /// The table that holds records of this kind (and its id column).
  package var table: String { rawValue }
  package var idColumn: String { idField.name }

  /// The kinds of record that files of these `source_file.kind`s can hold:
  /// a CSV file holds its header's kind (`procedures`, `events`, `results`,
  /// `exceptions`), an XML export (`mixed`) every kind, and a file of no or
  /// another kind is taken to hold every kind. A cumulative source's
  /// withdrawal scans only these tables: a laboratory's or a clinic's
  /// delivery does not read the registry's 5 M rows (issue 14).
  package static func held(byFileKinds kinds: [String?]) -> [RecordKind] {
    allCases.filter { k in kinds.contains { $0 == k.rawValue + "s" || !Self.fileKinds.contains($0 ?? "") } }
  }

  /// The `source_file.kind` of a file that holds only one kind of record.
  private static let fileKinds: Set<String> = Set(allCases.map { $0.rawValue + "s" })
}

/// One row as a reader hands it over: trimmed text per field (nil = column
/// absent or attribute missing), where it came from, and the raw content kept
/// for a reject.
package struct RawRow: Sendable {
  package var kind: RecordKind
  package var values: [String?]
  package var line: Int
  package var location: String?
  package var raw: String
  /// A problem found while reading (NUL, over-long field, malformed CSV);
  /// rejects the row before any value is looked at.
  package var readProblem: RowProblem?
  /// XML: the document's exportDate.
  package var exportDate: LocalDate?

  package init(kind: RecordKind, line: Int, location: String? = nil, raw: String) {
    self.kind = kind
    self.values = Array(repeating: nil, count: Field.allCases.count)
    self.line = line
    self.location = location
    self.raw = raw
  }

  package subscript(_ f: Field) -> String? {
    get { values[f.rawValue] }
    set { values[f.rawValue] = newValue }
  }
}

/// Why a row was rejected: the field (when one is to blame), a stable reason
/// code for counting, and a lowercase sentence for people. Messages never
/// contain NHS numbers or free text.
package struct RowProblem: Error, Equatable, Sendable {
  package var field: String?
  package var code: String
  package var message: String

  package init(field: String?, code: String, message: String) {
    self.field = field
    self.code = code
    self.message = message
  }
}

package enum FieldLimits {
  /// Largest field, in bytes of UTF-8 after decoding, before trimming.
  package static let maxFieldBytes = 65_536
}
