import Crypto
import Foundation
import GRDB

/// Writes one file's records inside the file's transaction. Statements are
/// prepared once per file and reused for every row.
package final class IngestWriter {
  let db: Database
  let fileId: Int64
  private let findProcedure: Statement
  private let findEvent: Statement
  private let upsertProcedure: Statement
  private let upsertEvent: Statement
  private let insertPatient: Statement
  private let insertReject: Statement
  private let insertWarning: Statement
  private let deleteWarnings: Statement
  private let insertReplacement: Statement

  package struct Existing {
    var fileId: Int64
    var hash: String
    var line: Int?
  }

  init(db: Database, fileId: Int64) throws {
    self.db = db
    self.fileId = fileId
    findProcedure = try db.makeStatement(
      sql: "SELECT source_file_id, content_hash, source_line FROM procedure WHERE procedure_id = ?")
    findEvent = try db.makeStatement(
      sql: "SELECT source_file_id, content_hash, source_line FROM event WHERE event_id = ?")
    upsertProcedure = try db.makeStatement(
      sql: """
        INSERT OR REPLACE INTO procedure (procedure_id, nhs_number, local_patient_id, sex, date_of_birth,
          procedure_date, side, procedure_type, bearing, head_diameter_mm, femoral_component,
          acetabular_component, stem_component, manufacturer, opcs_code, trust_code, site_code,
          consultant_code, is_mom, is_asr, content_hash, source_file_id, source_line, source_location)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
        """)
    upsertEvent = try db.makeStatement(
      sql: """
        INSERT OR REPLACE INTO event (event_id, nhs_number, event_date, event_type, side, symptomatic,
          oxford_hip_score, cobalt, chromium, ion_unit, cobalt_ug_l, chromium_ug_l, sample_type,
          imaging_finding, note, content_hash, source_file_id, source_line, source_location)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
        """)
    insertPatient = try db.makeStatement(sql: "INSERT OR IGNORE INTO patient (nhs_number) VALUES (?)")
    insertReject = try db.makeStatement(
      sql: """
        INSERT INTO reject (source_file_id, line, location, record_kind, record_id, field, reason_code, reason, raw)
        VALUES (?,?,?,?,?,?,?,?,?)
        """)
    insertWarning = try db.makeStatement(
      sql: """
        INSERT INTO warning (check_run_id, source_file_id, line, record_kind, record_id, nhs_number, code, detail)
        VALUES (NULL,?,?,?,?,?,?,?)
        """)
    deleteWarnings = try db.makeStatement(
      sql: "DELETE FROM warning WHERE check_run_id IS NULL AND record_kind = ? AND record_id = ?")
    insertReplacement = try db.makeStatement(
      sql: """
        INSERT INTO replacement (record_kind, record_id, old_source_file_id, old_line, new_source_file_id, new_line, identical)
        VALUES (?,?,?,?,?,?,?)
        """)
  }

  func existing(_ kind: RecordKind, id: String) throws -> Existing? {
    let stmt = kind == .procedure ? findProcedure : findEvent
    guard let row = try Row.fetchOne(stmt, arguments: [id]) else { return nil }
    return Existing(fileId: row[0], hash: row[1], line: row[2])
  }

  func writeProcedure(_ p: ProcedureRecord, hash: String, line: Int, location: String?) throws {
    try upsertProcedure.execute(arguments: [
      p.procedureId, p.nhsNumber, p.localPatientId, p.sex.rawValue, p.dateOfBirth?.iso,
      p.procedureDate.iso, p.side.rawValue, p.procedureType.rawValue, p.bearing.rawValue, p.headDiameterMm,
      p.femoralComponent, p.acetabularComponent, p.stemComponent, p.manufacturer, p.opcsCode,
      p.trustCode, p.siteCode, p.consultantCode, p.isMoM, p.isASR, hash, fileId, line, location,
    ])
    try insertPatient.execute(arguments: [p.nhsNumber])
  }

  func writeEvent(_ e: EventRecord, hash: String, line: Int, location: String?) throws {
    try upsertEvent.execute(arguments: [
      e.eventId, e.nhsNumber, e.eventDate.iso, e.eventType.rawValue, e.side?.rawValue, e.symptomatic,
      e.oxfordHipScore, e.cobalt, e.chromium, e.ionUnit?.rawValue, e.cobaltMicrograms, e.chromiumMicrograms,
      e.sampleType?.rawValue, e.imagingFinding?.rawValue, e.note, hash, fileId, line, location,
    ])
    try insertPatient.execute(arguments: [e.nhsNumber])
  }

  func writeReject(_ row: RawRow, _ problem: RowProblem) throws {
    try insertReject.execute(arguments: [
      fileId, row.line, row.location, row.kind.rawValue, row[row.kind.idField].flatMap { $0.isEmpty ? nil : $0 },
      problem.field, problem.code, problem.message, row.raw,
    ])
  }

  func writeWarning(_ w: RecordWarning, kind: RecordKind, id: String, nhs: String, line: Int) throws {
    try insertWarning.execute(arguments: [fileId, line, kind.rawValue, id, nhs, w.code, w.detail])
  }

  func recordReplacement(_ kind: RecordKind, id: String, old: Existing, newLine: Int, identical: Bool) throws {
    try deleteWarnings.execute(arguments: [kind.rawValue, id])
    try insertReplacement.execute(arguments: [kind.rawValue, id, old.fileId, old.line, fileId, newLine, identical])
  }

  /// Content fingerprint of a normalised record: equal for identical content.
  static func fingerprint(_ text: String) -> String {
    SHA256.hash(data: Data(text.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
  }
}
