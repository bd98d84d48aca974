import Foundation
import Testing
@testable import MoMAuditKit

/// The hand-computed scenarios of Tests/Scenarios (see its README): each
/// folder's expected findings, statuses, flags and warnings were worked out
/// from surveillance-rules.md by hand, not produced by this code.
@Suite("Spec scenarios")
struct ScenarioTests {
  static let names: [String] = {
    let all = (try? FileManager.default.contentsOfDirectory(atPath: Paths.scenarios.path)) ?? []
    return all.filter { FileManager.default.fileExists(atPath: Paths.scenarios.appendingPathComponent($0).appendingPathComponent("as-of").path) }.sorted()
  }()

  static func read(_ scenario: String, _ file: String) -> String? {
    try? String(contentsOf: Paths.scenarios.appendingPathComponent(scenario).appendingPathComponent(file), encoding: .utf8)
  }

  /// `inputs/` (a folder, ingested in name order) when present; otherwise
  /// procedures.csv and events.csv; otherwise export.xml alone.
  static func inputs(_ scenario: String) -> [String] {
    let dir = Paths.scenarios.appendingPathComponent(scenario)
    let folder = dir.appendingPathComponent("inputs").path
    if FileManager.default.fileExists(atPath: folder) { return [folder] }
    let csvs = ["procedures.csv", "events.csv"].map { dir.appendingPathComponent($0).path }
      .filter { FileManager.default.fileExists(atPath: $0) }
    return csvs.isEmpty ? [dir.appendingPathComponent("export.xml").path] : csvs
  }

  /// `delivery/sources.toml` when present (a trust's delivery through its
  /// manifest and profiles); otherwise `inputs(_:)`.
  static func model(_ scenario: String, asOf: String) throws -> ReportModel {
    if !steps(scenario).isEmpty { return try deliver(scenario, asOf: asOf).model }
    let manifest = Paths.scenarios.appendingPathComponent(scenario).appendingPathComponent("delivery/sources.toml").path
    guard FileManager.default.fileExists(atPath: manifest) else {
      return try audit(inputs(scenario), asOf: asOf, pack: try pack(scenario))
    }
    let db = try AuditDatabase.inMemory()
    _ = try Ingester(db: db, logger: quietLogger).ingest(groups: InputGroup.groups(try SourcesManifest.load(path: manifest), encoding: nil))
    let summary = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: LocalDate(iso: asOf)!).run()
    return try db.read { try ReportModel.load($0, runId: summary.runId)! }
  }

  /// The pack with `check-profile.toml`'s parameters when the scenario has one (a local protocol).
  static func pack(_ scenario: String) throws -> RulePack {
    let path = Paths.scenarios.appendingPathComponent(scenario).appendingPathComponent("check-profile.toml").path
    guard FileManager.default.fileExists(atPath: path) else { return .mhra2017 }
    return try RulePack.mhra2017.overriding(Profile.load(path: path).parameters)
  }

  /// The folders of `steps/`, in name order: one delivery each.
  static func steps(_ scenario: String) -> [String] {
    let dir = Paths.scenarios.appendingPathComponent(scenario).appendingPathComponent("steps").path
    return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
  }

  /// Ingests every step's manifest in order (with --allow-withdraw where the
  /// step has an `allow-withdraw` file), then checks. Returns each step's
  /// outcomes with the files relative to the step's folder.
  static func deliver(_ scenario: String, asOf: String) throws -> (model: ReportModel, steps: [(String, [FileOutcome])]) {
    let db = try AuditDatabase.inMemory()
    var out: [(String, [FileOutcome])] = []
    for step in steps(scenario) {
      let dir = Paths.scenarios.appendingPathComponent(scenario).appendingPathComponent("steps").appendingPathComponent(step)
      let allow = FileManager.default.fileExists(atPath: dir.appendingPathComponent("allow-withdraw").path)
      let groups = InputGroup.groups(try SourcesManifest.load(path: dir.appendingPathComponent("sources.toml").path), encoding: nil)
      var outcomes = try Ingester(db: db, logger: quietLogger, allowWithdraw: allow).ingest(groups: groups)
      for i in outcomes.indices {
        outcomes[i].path = String(outcomes[i].path.dropFirst(dir.path.count + 1))
      }
      out.append((step, outcomes))
    }
    let summary = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: LocalDate(iso: asOf)!).run()
    return (try db.read { try ReportModel.load($0, runId: summary.runId)! }, out)
  }

  @Test("every delivery's files load, or are refused, with the hand-counted outcomes", arguments: names.filter { read($0, "expected-steps.csv") != nil })
  func deliveries(_ scenario: String) throws {
    let asOf = Self.read(scenario, "as-of")!.trimmingCharacters(in: .whitespacesAndNewlines)
    let (model, steps) = try Self.deliver(scenario, asOf: asOf)
    let expected = parseCSV(Self.read(scenario, "expected-steps.csv")!).dropFirst().map { $0.joined(separator: ",") }
    let actual = steps.flatMap { step, outcomes in
      outcomes.map { o in
        [step, o.path, o.status == .refused ? "refused" : o.status.rawValue, String(o.rowsRead), String(o.rowsAccepted),
         String(o.rowsRejected), String(o.recordsAdded), String(o.recordsUnchanged), String(o.recordsReplaced),
         String(o.recordsWithdrawn)].joined(separator: ",")
      }
    }
    #expect(actual == expected)
    for (step, outcomes) in steps {
      let exit = Self.read(scenario, "steps/\(step)/expected-exit")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "0"
      #expect(outcomes.contains { $0.status == .refused } == (exit == "65"), "step \(step)")
    }
    if let text = Self.read(scenario, "expected-withdrawn.csv") {
      let expected = parseCSV(text).dropFirst().map { $0.joined(separator: ",") }
      #expect(model.withdrawn.map { "\($0.recordKind),\($0.recordId),\($0.source ?? "")" } == expected)
      #expect(Reporter.files(model).first { $0.0 == "withdrawn.csv" }!.1.split(separator: "\r\n").count == expected.count + 1)
    }
  }

  @Test("the scenario list is not empty") func found() { #expect(Self.names.count >= 20) }

  @Test("a delivery through its profiles gives the findings of the same records sent canonically", arguments: names.filter {
    FileManager.default.fileExists(atPath: Paths.scenarios.appendingPathComponent($0).appendingPathComponent("canonical").path)
  })
  func canonicalTwin(_ scenario: String) throws {
    let asOf = Self.read(scenario, "as-of")!.trimmingCharacters(in: .whitespacesAndNewlines)
    let delivered = try Self.model(scenario, asOf: asOf)
    let canonical = try audit([Paths.scenarios.appendingPathComponent(scenario).appendingPathComponent("canonical").path], asOf: asOf)
    #expect(canonical.rejects.isEmpty)
    let strip = { (m: ReportModel) in m.findings.map { "\($0.nhsNumber) \($0.finding) \($0.procedureId) \($0.dueDate) \($0.daysOverdue) \($0.lastDone ?? "") \($0.detail)" } }
    #expect(!delivered.findings.isEmpty)
    #expect(strip(delivered) == strip(canonical))
    #expect(delivered.patients == canonical.patients)
    #expect(delivered.flags.map { "\($0.nhsNumber) \($0.flag)" } == canonical.flags.map { "\($0.nhsNumber) \($0.flag)" })
    #expect(Set(delivered.warnings.map { "\($0.code) \($0.nhsNumber ?? "")" }) == Set(canonical.warnings.map { "\($0.code) \($0.nhsNumber ?? "")" }))
  }

  @Test("skipped rows match the hand-computed list, per source and rule", arguments: names.filter { read($0, "expected-skips.csv") != nil })
  func skips(_ scenario: String) throws {
    let asOf = Self.read(scenario, "as-of")!.trimmingCharacters(in: .whitespacesAndNewlines)
    let m = try Self.model(scenario, asOf: asOf)
    let expected = parseCSV(Self.read(scenario, "expected-skips.csv")!).dropFirst().map { "\($0[0]) \($0[1]) \($0[2])" }.sorted()
    let actual = m.files.flatMap { f in f.skips.map { "\(f.source ?? "-") \($0.key) \($0.count)" } }.sorted()
    #expect(actual == expected)
    for f in m.files { #expect(f.rowsRead == f.rowsAccepted + f.rowsRejected + f.rowsSkipped) }
  }

  @Test("findings match the hand-computed list", arguments: names)
  func findings(_ scenario: String) throws {
    let asOf = Self.read(scenario, "as-of")!.trimmingCharacters(in: .whitespacesAndNewlines)
    let model = try Self.model(scenario, asOf: asOf)
    if let rejects = Self.read(scenario, "expected-rejects.csv") {
      // header: reason_code,record_id — compared as a multiset
      let expected = parseCSV(rejects).dropFirst().map { "\($0[0]) \($0.count > 1 ? $0[1] : "")" }.sorted()
      #expect(model.rejects.map { "\($0.reasonCode) \($0.recordId ?? "")" }.sorted() == expected)
    } else {
      #expect(model.rejects.isEmpty, "\(model.rejects.map(\.reason))")
    }
    let expected = parseCSV(Self.read(scenario, "expected-findings.csv")!).dropFirst().map { $0 }
    let actual = model.findings.map {
      [$0.nhsNumber, $0.finding, $0.procedureId, $0.side, $0.group, $0.dueDate, String($0.daysOverdue), $0.lastDone ?? ""]
    }
    #expect(actual == expected)
  }

  @Test("excepted findings, expiry notes and exceptions due for review match (surveillance-rules.md §8)", arguments: names.filter {
    read($0, "expected-excepted.csv") != nil
  })
  func exceptions(_ scenario: String) throws {
    let asOf = Self.read(scenario, "as-of")!.trimmingCharacters(in: .whitespacesAndNewlines)
    let model = try Self.model(scenario, asOf: asOf)
    let expected = parseCSV(Self.read(scenario, "expected-excepted.csv")!).dropFirst().map { $0.joined(separator: ",") }
    #expect(model.excepted.map { "\($0.finding.nhsNumber),\($0.finding.finding),\($0.finding.procedureId),\($0.exceptionId)" } == expected)
    // excepted.csv: findings.csv's columns, then the exception's, one row per excepted finding.
    let file = parseCSV(Reporter.files(model).first { $0.0 == "excepted.csv" }!.1)
    #expect(file.first == CSVReports.exceptedHeader)
    #expect(file.dropFirst().map { "\($0[0]),\($0[1]),\($0[2]),\($0[12])" } == expected)
    // No excepted finding is on the worklist.
    let open = Set(model.findings.map { "\($0.nhsNumber) \($0.finding) \($0.procedureId)" })
    #expect(model.excepted.allSatisfy { !open.contains("\($0.finding.nhsNumber) \($0.finding.finding) \($0.finding.procedureId)") })
    let notes = parseCSV(Self.read(scenario, "expected-expiry.csv") ?? "h\n").dropFirst()
    let noted = model.findings.filter { $0.detail.contains("; exception ") }
    #expect(noted.map { "\($0.nhsNumber) \($0.finding) \($0.procedureId)" } == notes.map { "\($0[0]) \($0[1]) \($0[2])" })
    for (f, n) in zip(noted, notes) { #expect(f.detail.hasSuffix(n[3]), "\(f.detail)") }
    if let review = Self.read(scenario, "expected-review.csv") {
      #expect(model.exceptions.filter { $0.dueForReview(asOf: asOf) }.map(\.exceptionId) == Array(parseCSV(review).dropFirst().map { $0[0] }))
    }
  }

  @Test("patient statuses and groups match", arguments: names)
  func patients(_ scenario: String) throws {
    guard let text = Self.read(scenario, "expected-patients.csv") else { return }
    let asOf = Self.read(scenario, "as-of")!.trimmingCharacters(in: .whitespacesAndNewlines)
    let model = try Self.model(scenario, asOf: asOf)
    let expected = parseCSV(text).dropFirst().map { [$0[0], $0[1], Set($0[2].split(separator: ";")).sorted().joined(separator: ";")] }
      .sorted { $0[0] < $1[0] }
    let actual = model.patients.map { [$0.nhsNumber, $0.status, Set($0.groups.split(separator: ";")).sorted().joined(separator: ";")] }
    #expect(actual == expected)
  }

  @Test("clinical flags match", arguments: names)
  func flags(_ scenario: String) throws {
    guard let text = Self.read(scenario, "expected-flags.csv") else { return }
    let asOf = Self.read(scenario, "as-of")!.trimmingCharacters(in: .whitespacesAndNewlines)
    let model = try Self.model(scenario, asOf: asOf)
    let expected = Set(parseCSV(text).dropFirst().map { "\($0[0]) \($0[1])" })
    let actual = Set(model.flags.map { "\($0.nhsNumber) \($0.flag)" })
    #expect(actual == expected)
  }

  @Test("warnings of the listed codes match", arguments: names)
  func warnings(_ scenario: String) throws {
    guard let text = Self.read(scenario, "expected-warnings.csv") else { return }
    let asOf = Self.read(scenario, "as-of")!.trimmingCharacters(in: .whitespacesAndNewlines)
    let model = try Self.model(scenario, asOf: asOf)
    let rows = parseCSV(text).dropFirst()
    let codes = Set(rows.map { $0[0] })
    let expected = Set(rows.map { "\($0[0]) \($0[1])" })
    let actual = Set(model.warnings.filter { codes.contains($0.code) }.map { "\($0.code) \($0.nhsNumber ?? "")" })
    #expect(actual == expected)
  }

  @Test("the same export as XML gives identical findings", arguments: names.filter {
    read($0, "export.xml") != nil && read($0, "procedures.csv") != nil
  })
  func xmlTwin(_ scenario: String) throws {
    let asOf = Self.read(scenario, "as-of")!.trimmingCharacters(in: .whitespacesAndNewlines)
    let fromCSV = try audit(Self.inputs(scenario), asOf: asOf)
    let xml = Paths.scenarios.appendingPathComponent(scenario).appendingPathComponent("export.xml").path
    let fromXML = try audit([xml], asOf: asOf)
    #expect(fromXML.rejects.isEmpty, "\(fromXML.rejects.map(\.reason))")
    #expect(!fromCSV.findings.isEmpty)
    let strip = { (m: ReportModel) in m.findings.map { "\($0.nhsNumber) \($0.finding) \($0.procedureId) \($0.dueDate) \($0.daysOverdue) \($0.lastDone ?? "") \($0.detail)" } }
    #expect(strip(fromXML) == strip(fromCSV))
    #expect(fromXML.patients == fromCSV.patients)
  }
}
