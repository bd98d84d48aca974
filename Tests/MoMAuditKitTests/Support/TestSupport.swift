import Foundation
import GRDB
import Logging
@testable import MoMAuditKit

/// Paths inside the package, found from this file's location.
enum Paths {
  static let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let scenarios = packageRoot.appendingPathComponent("Tests/Scenarios")
  static let fixtures = packageRoot.appendingPathComponent("Tests/MoMAuditKitTests/Fixtures")
  static let sampleData = packageRoot.appendingPathComponent("SampleData")
  /// SampleData is a trust's delivery: its manifest names every system's exports.
  static let sampleManifest = packageRoot.appendingPathComponent("SampleData/sources.toml")
  static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
}

let quietLogger: Logger = {
  var l = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
  l.logLevel = .critical
  return l
}()

/// A fresh temporary folder, removed by the caller with `cleanup()`.
struct TempDir {
  let url: URL
  init() {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("momaudit-test-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }
  var path: String { url.path }
  func file(_ name: String) -> String { url.appendingPathComponent(name).path }
  /// Writes `text` at `name` (a path below the folder; its folders are created).
  func write(_ name: String, _ text: String) -> String {
    let p = file(name)
    try! FileManager.default.createDirectory(
      atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try! Data(text.utf8).write(to: URL(fileURLWithPath: p))
    return p
  }
  func write(_ name: String, bytes: [UInt8]) -> String {
    let p = file(name)
    try! Data(bytes).write(to: URL(fileURLWithPath: p))
    return p
  }
  func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// SampleData's sources, as `--sources SampleData/sources.toml` loads them.
func sampleGroups() throws -> [InputGroup] {
  InputGroup.groups(try SourcesManifest.load(path: Paths.sampleManifest.path), encoding: nil)
}

/// Ingests SampleData's manifest into a fresh in-memory database.
func ingestSample() throws -> (DatabaseQueue, [FileOutcome]) {
  let db = try AuditDatabase.inMemory()
  return (db, try Ingester(db: db, logger: quietLogger).ingest(groups: try sampleGroups()))
}

/// Ingests files into a fresh in-memory database.
func ingest(_ paths: [String], options: IngestOptions = .init()) throws -> (DatabaseQueue, [FileOutcome]) {
  let db = try AuditDatabase.inMemory()
  let outcomes = try Ingester(db: db, logger: quietLogger, options: options).ingest(inputs: paths)
  return (db, outcomes)
}

/// Ingests, checks and loads the report model.
func audit(_ paths: [String], asOf: String, pack: RulePack = .mhra2017) throws -> ReportModel {
  let (db, _) = try ingest(paths)
  let summary = try CheckRunner(db: db, logger: quietLogger, pack: pack, asOf: LocalDate(iso: asOf)!).run()
  return try db.read { try ReportModel.load($0, runId: summary.runId)! }
}

/// Parses a small CSV (the test fixtures) into rows of strings.
func parseCSV(_ text: String) -> [[String]] {
  (try? CSVReader.records(in: Array(text.utf8)).map(\.fields)) ?? []
}

/// Builds CSV text from a header and rows (LF line ends).
func csv(_ header: String, _ rows: [String]) -> String {
  ([header] + rows).joined(separator: "\n") + "\n"
}

let procedureHeader =
  "procedure_id,nhs_number,sex,procedure_date,side,procedure_type,bearing,head_diameter_mm,femoral_component,acetabular_component,trust_code,site_code,consultant_code"
let eventHeader =
  "event_id,nhs_number,event_date,event_type,side,symptomatic,oxford_hip_score,cobalt,chromium,ion_unit,sample_type,imaging_finding,note"
