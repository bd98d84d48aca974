import GRDB

/// Reading normalised records back from their tables.
extension ProcedureRecord {
  static let columns = """
    procedure_id, nhs_number, local_patient_id, sex, date_of_birth, procedure_date, side, procedure_type, bearing,
    head_diameter_mm, femoral_component, acetabular_component, stem_component, manufacturer, opcs_code, trust_code,
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
    sample_type, imaging_finding
    """

  /// The note is not read back: no rule uses free text.
  init(row: Row) {
    self.init(
      eventId: row[0], nhsNumber: row[1], eventDate: LocalDate(iso: row[2]) ?? LocalDate(dayNumber: 0),
      eventType: EventType(rawValue: row[3]) ?? .xray, side: (row[4] as String?).flatMap { EventSide(rawValue: $0) },
      symptomatic: row[5], oxfordHipScore: row[6], cobalt: row[7], chromium: row[8],
      ionUnit: (row[9] as String?).flatMap { IonUnit(rawValue: $0) },
      sampleType: (row[10] as String?).flatMap { SampleType(rawValue: $0) },
      imagingFinding: (row[11] as String?).flatMap { ImagingFinding(rawValue: $0) }, note: nil)
  }
}
