import GRDB

/// Reading normalised records back from their tables.
extension ProcedureRecord {
  static let columns = """
    procedure_id, nhs_number, local_patient_id, sex, date_of_birth, procedure_date, side, procedure_type, bearing,
    head_diameter_mm, femoral_component, acetabular_component, stem_component, manufacturer, opcs_code, trust_code,
    site_code, consultant_code
    """

  /// `columns` as the check reads them: no rule reads the local patient
  /// id, date of birth, manufacturer or OPCS code, so they are NULL in their
  /// places, which keeps the rows the check sorts a quarter smaller.
  static let checkColumns = """
    procedure_id, nhs_number, NULL, sex, NULL, procedure_date, side, procedure_type, bearing,
    head_diameter_mm, femoral_component, acetabular_component, stem_component, NULL, NULL, trust_code,
    site_code, consultant_code
    """

  init(row: Row) {
    self.init(
      procedureId: row[0], nhsNumber: row[1], localPatientId: row[2], sex: Sex(rawValue: row[3]) ?? .unknown,
      dateOfBirth: (row[4] as String?).flatMap { LocalDate(iso: $0) },
      procedureDate: LocalDate(iso: row[5]) ?? LocalDate(dayNumber: 0), side: Side(rawValue: row[6]) ?? .left,
      procedureType: ProcedureType(rawValue: row[7]) ?? .totalHip, bearing: Bearing(rawValue: row[8]) ?? .unknown,
      headDiameterMm: row[9], femoralComponent: row[10], acetabularComponent: row[11], stemComponent: row[12],
      manufacturer: row[13], opcsCode: row[14], trustCode: row[15], siteCode: row[16], consultantCode: row[17])
  }
}

extension EventRecord {
  static let columns = """
    event_id, nhs_number, event_date, event_type, side, symptomatic, oxford_hip_score, cobalt, chromium, ion_unit,
    sample_type, imaging_finding, cobalt_comparator, chromium_comparator
    """

  /// The note is not read back: no rule uses free text.
  init(row: Row) {
    self.init(
      eventId: row[0], nhsNumber: row[1], eventDate: LocalDate(iso: row[2]) ?? LocalDate(dayNumber: 0),
      eventType: EventType(rawValue: row[3]) ?? .xray, side: (row[4] as String?).flatMap { EventSide(rawValue: $0) },
      symptomatic: row[5], oxfordHipScore: row[6], cobalt: row[7], chromium: row[8],
      ionUnit: (row[9] as String?).flatMap { IonUnit(rawValue: $0) },
      sampleType: (row[10] as String?).flatMap { SampleType(rawValue: $0) },
      imagingFinding: (row[11] as String?).flatMap { ImagingFinding(rawValue: $0) }, note: nil,
      cobaltComparator: (row[12] as String?).flatMap { LabComparator(rawValue: $0) },
      chromiumComparator: (row[13] as String?).flatMap { LabComparator(rawValue: $0) })
  }
}

#if canImport(GRDBSQLite)
  import GRDBSQLite
#else
  import SQLite3
#endif

/// Reading the same columns straight from a stepped statement (the check's
/// hot loop): the values `init(row:)` gives, without a GRDB Row per record.
extension ProcedureRecord {
  init(statement s: SQLiteStatement) {
    self.init(
      procedureId: columnText(s, 0) ?? "", nhsNumber: columnText(s, 1) ?? "", localPatientId: columnText(s, 2),
      sex: columnText(s, 3).flatMap { Sex(rawValue: $0) } ?? .unknown, dateOfBirth: columnDate(s, 4),
      procedureDate: columnDate(s, 5) ?? LocalDate(dayNumber: 0),
      side: columnText(s, 6).flatMap { Side(rawValue: $0) } ?? .left,
      procedureType: columnText(s, 7).flatMap { ProcedureType(rawValue: $0) } ?? .totalHip,
      bearing: columnText(s, 8).flatMap { Bearing(rawValue: $0) } ?? .unknown, headDiameterMm: columnDouble(s, 9),
      femoralComponent: columnText(s, 10), acetabularComponent: columnText(s, 11), stemComponent: columnText(s, 12),
      manufacturer: columnText(s, 13), opcsCode: columnText(s, 14), trustCode: columnText(s, 15),
      siteCode: columnText(s, 16), consultantCode: columnText(s, 17))
  }
}

extension EventRecord {
  /// The note is not read back: no rule uses free text.
  init(statement s: SQLiteStatement) {
    self.init(
      eventId: columnText(s, 0) ?? "", nhsNumber: columnText(s, 1) ?? "",
      eventDate: columnDate(s, 2) ?? LocalDate(dayNumber: 0),
      eventType: columnText(s, 3).flatMap { EventType(rawValue: $0) } ?? .xray,
      side: columnText(s, 4).flatMap { EventSide(rawValue: $0) },
      symptomatic: sqlite3_column_type(s, 5) == SQLITE_NULL ? nil : sqlite3_column_int64(s, 5) != 0,
      oxfordHipScore: sqlite3_column_type(s, 6) == SQLITE_NULL ? nil : Int(sqlite3_column_int64(s, 6)),
      cobalt: columnDouble(s, 7), chromium: columnDouble(s, 8),
      ionUnit: columnText(s, 9).flatMap { IonUnit(rawValue: $0) },
      sampleType: columnText(s, 10).flatMap { SampleType(rawValue: $0) },
      imagingFinding: columnText(s, 11).flatMap { ImagingFinding(rawValue: $0) }, note: nil,
      cobaltComparator: columnText(s, 12).flatMap { LabComparator(rawValue: $0) },
      chromiumComparator: columnText(s, 13).flatMap { LabComparator(rawValue: $0) })
  }
}

extension ResultRecord {
  static let columns = """
    result_id, nhs_number, sample_id, sample_date, analyte, value, comparator, unit, specimen
    """

  /// The note is not read back: no rule uses free text.
  init(statement s: SQLiteStatement) {
    self.init(
      resultId: columnText(s, 0) ?? "", nhsNumber: columnText(s, 1) ?? "", sampleId: columnText(s, 2),
      sampleDate: columnDate(s, 3) ?? LocalDate(dayNumber: 0),
      analyte: columnText(s, 4).flatMap { Metal(rawValue: $0) } ?? .cobalt, value: columnDouble(s, 5) ?? 0,
      comparator: columnText(s, 6).flatMap { LabComparator(rawValue: $0) },
      unit: columnText(s, 7).flatMap { IonUnit(rawValue: $0) } ?? .microgramsPerLitre,
      specimen: columnText(s, 8).flatMap { SampleType(rawValue: $0) } ?? .wholeBlood, note: nil)
  }
}

extension ExceptionRecord {
  static let columns = """
    exception_id, nhs_number, finding, procedure_id, reason, recorded_by, recorded_on, review_by
    """

  /// The note is not read back: no rule uses free text. nil for a row whose
  /// code or dates do not read back (never written by momaudit): no default
  /// is guessed, since a wrong `finding` could except every finding.
  init?(statement s: SQLiteStatement) {
    guard let finding = columnText(s, 2).flatMap(ExceptionFinding.init(rawValue:)),
      let reason = columnText(s, 4).flatMap(ExceptionReason.init(rawValue:)),
      let recordedOn = columnDate(s, 6), let reviewBy = columnDate(s, 7)
    else { return nil }
    self.init(
      exceptionId: columnText(s, 0) ?? "", nhsNumber: columnText(s, 1) ?? "", finding: finding,
      procedureId: columnText(s, 3), reason: reason, recordedBy: columnText(s, 5) ?? "", recordedOn: recordedOn,
      reviewBy: reviewBy, note: nil)
  }
}

@inline(__always) func columnText(_ s: SQLiteStatement, _ i: Int32) -> String? {
  guard let p = sqlite3_column_text(s, i) else { return nil }
  return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, i))), as: UTF8.self)
}

@inline(__always) func columnDouble(_ s: SQLiteStatement, _ i: Int32) -> Double? {
  sqlite3_column_type(s, i) == SQLITE_NULL ? nil : sqlite3_column_double(s, i)
}

/// A stored ISO date (`LocalDate(iso:)` on the column's bytes).
@inline(__always) func columnDate(_ s: SQLiteStatement, _ i: Int32) -> LocalDate? {
  guard let p = sqlite3_column_text(s, i), sqlite3_column_bytes(s, i) == 10 else { return nil }
  func num(_ from: Int, _ to: Int) -> Int? {
    var v = 0
    for k in from..<to {
      let c = p[k]
      guard c >= 0x30, c <= 0x39 else { return nil }
      v = v * 10 + Int(c - 0x30)
    }
    return v
  }
  guard p[4] == 0x2D, p[7] == 0x2D, let y = num(0, 4), let m = num(5, 7), let d = num(8, 10) else { return nil }
  return LocalDate(year: y, month: m, day: d)
}
