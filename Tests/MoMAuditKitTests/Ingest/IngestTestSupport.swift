import Foundation
import GRDB

@testable import MoMAuditKit

/// Helpers shared by the reader and value-rule tests (Ingest/ and Model/).
/// Everything lives in `IX` so nothing collides with helpers of other suites.
enum IX {
  /// NHS numbers that pass the modulus-11 check.
  static let nhs = ["9434765919", "9990100004", "9990100012", "9990100020", "9990100039", "9990100047"]

  /// Only the required procedure columns.
  static let procHeader = "procedure_id,nhs_number,procedure_date,side,procedure_type,bearing"
  /// Every event column, in canonical order.
  static let evHeader =
    "event_id,nhs_number,event_date,event_type,side,symptomatic,oxford_hip_score,cobalt,chromium,ion_unit,sample_type,imaging_finding,note"

  static func proc(
    _ id: String, nhs: String = IX.nhs[0], date: String = "2006-05-02", side: String = "L",
    type: String = "resurfacing", bearing: String = "MoM"
  ) -> String {
    "\(id),\(nhs),\(date),\(side),\(type),\(bearing)"
  }

  static func review(_ id: String, nhs: String = IX.nhs[0], date: String = "2025-06-11", ohs: String = "44") -> String {
    "\(id),\(nhs),\(date),review,L,N,\(ohs),,,,,,"
  }

  /// LF-separated CSV text with a final line end.
  static func lines(_ header: String, _ rows: [String], end: String = "\n") -> String {
    ([header] + rows).joined(separator: end) + end
  }

  // MARK: validator-level rows

  static let procedureDefaults: [Field: String] = [
    .procedureId: "P1", .nhsNumber: "9434765919", .procedureDate: "2006-05-02", .side: "L",
    .procedureType: "resurfacing", .bearing: "MoM",
  ]
  static let eventDefaults: [Field: String] = [
    .eventId: "E1", .nhsNumber: "9434765919", .eventDate: "2025-06-11", .eventType: "review",
  ]

  /// A procedure RawRow: the defaults, then `set` (a nil value removes the field).
  static func procedureRow(_ set: [Field: String?] = [:], exportDate: String? = nil) -> RawRow {
    var row = RawRow(kind: .procedure, line: 2, raw: "raw")
    for (f, v) in procedureDefaults { row[f] = v }
    for (f, v) in set { row[f] = v }
    row.exportDate = exportDate.flatMap { LocalDate(iso: $0) }
    return row
  }

  static func eventRow(_ set: [Field: String?] = [:], exportDate: String? = nil) -> RawRow {
    var row = RawRow(kind: .event, line: 2, raw: "raw")
    for (f, v) in eventDefaults { row[f] = v }
    for (f, v) in set { row[f] = v }
    row.exportDate = exportDate.flatMap { LocalDate(iso: $0) }
    return row
  }

  static func procedure(_ set: [Field: String?] = [:], exportDate: String? = nil) -> ProcedureRecord? {
    if case .success(.procedure(let p)) = RowValidator.validate(procedureRow(set, exportDate: exportDate)) { return p }
    return nil
  }

  static func event(_ set: [Field: String?] = [:], exportDate: String? = nil) -> EventRecord? {
    if case .success(.event(let e, _)) = RowValidator.validate(eventRow(set, exportDate: exportDate)) { return e }
    return nil
  }

  static func eventWarnings(_ set: [Field: String?] = [:], exportDate: String? = nil) -> [RecordWarning]? {
    if case .success(.event(_, let w)) = RowValidator.validate(eventRow(set, exportDate: exportDate)) { return w }
    return nil
  }

  static func problem(_ row: RawRow) -> RowProblem? {
    if case .failure(let p) = RowValidator.validate(row) { return p }
    return nil
  }

  static func procedureProblem(_ set: [Field: String?], exportDate: String? = nil) -> RowProblem? {
    problem(procedureRow(set, exportDate: exportDate))
  }

  static func eventProblem(_ set: [Field: String?], exportDate: String? = nil) -> RowProblem? {
    problem(eventRow(set, exportDate: exportDate))
  }

  // MARK: ingest

  /// Writes the files into a fresh temporary folder, ingests them in order
  /// into a fresh in-memory database, removes the folder.
  static func load(_ files: [(String, [UInt8])], options: IngestOptions = .init()) throws -> (
    DatabaseQueue, [FileOutcome]
  ) {
    let dir = TempDir()
    defer { dir.cleanup() }
    let paths = files.map { dir.write($0.0, bytes: $0.1) }
    return try ingest(paths, options: options)
  }

  static func load(_ name: String, _ text: String, options: IngestOptions = .init()) throws -> (
    DatabaseQueue, FileOutcome
  ) {
    let (db, outcomes) = try load([(name, Array(text.utf8))], options: options)
    return (db, outcomes[0])
  }

  static func load(_ name: String, bytes: [UInt8], options: IngestOptions = .init()) throws -> (
    DatabaseQueue, FileOutcome
  ) {
    let (db, outcomes) = try load([(name, bytes)], options: options)
    return (db, outcomes[0])
  }

  struct Reject: Equatable, CustomStringConvertible {
    var line: Int?
    var location: String?
    var kind: String?
    var recordId: String?
    var field: String?
    var code: String
    var reason: String
    var raw: String
    var description: String { "\(line.map(String.init) ?? location ?? "?") [\(field ?? "-")] \(code): \(reason)" }
  }

  static func rejects(_ db: DatabaseQueue) throws -> [Reject] {
    try db.read { db in
      try Row.fetchAll(
        db,
        sql: "SELECT line, location, record_kind, record_id, field, reason_code, reason, raw FROM reject ORDER BY id"
      ).map {
        Reject(
          line: $0["line"], location: $0["location"], kind: $0["record_kind"], recordId: $0["record_id"],
          field: $0["field"], code: $0["reason_code"], reason: $0["reason"], raw: $0["raw"])
      }
    }
  }

  static func count(_ db: DatabaseQueue, _ table: String) throws -> Int {
    try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table)")! }
  }

  static func strings(_ db: DatabaseQueue, _ sql: String) throws -> [String?] {
    try db.read { db in try Row.fetchAll(db, sql: sql).map { $0[0] as String? } }
  }

  static func row(_ db: DatabaseQueue, _ sql: String) throws -> Row? {
    try db.read { try Row.fetchOne($0, sql: sql) }
  }

  /// Every record table, for "nothing changed" / "nothing loaded" checks.
  static func snapshot(_ db: DatabaseQueue) throws -> [String] {
    try db.read { db in
      var out: [String] = []
      for table in ["procedure", "event", "reject", "warning", "replacement"] {
        for r in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1") { out.append("\(table) \(r)") }
      }
      for r in try Row.fetchAll(
        db,
        sql:
          "SELECT id, sha256, status, rows_read, rows_accepted, rows_rejected, records_replaced FROM source_file ORDER BY id"
      ) {
        out.append("source_file \(r)")
      }
      return out
    }
  }

  static func recordCount(_ db: DatabaseQueue) throws -> Int {
    try count(db, "procedure") + count(db, "event") + count(db, "reject") + count(db, "warning")
  }
}

/// A small seeded generator (xorshift64*) for property tests.
struct IngestRNG: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
  mutating func next() -> UInt64 {
    state ^= state >> 12
    state ^= state << 25
    state ^= state >> 27
    return state &* 0x2545_F491_4F6C_DD1D
  }
}
