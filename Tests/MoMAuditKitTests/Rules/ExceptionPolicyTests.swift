import Foundation
import GRDB
import Testing

@testable import MoMAuditKit

/// surveillance-rules.md §8 as properties: random exceptions over scenario
/// 36's patients, audited with and without them. Exceptions move findings
/// between findings.csv and excepted.csv and change nothing else.
@Suite("Exceptions: properties")
struct ExceptionPolicyTests {
  struct Exception {
    var id: String
    var nhs: String
    var finding: String
    var procedureId: String?
    var recordedOn: LocalDate
    var reviewBy: LocalDate
  }

  static let scenario = Paths.scenarios.appendingPathComponent("36-exceptions/inputs")
  static let asOf = LocalDate(iso: "2025-06-30")!
  static let codes = ["ALL"] + allRules.map(\.description.code)

  @Test("findings with exceptions = findings without, split exactly as §8 decides; patients, flags and other warnings unchanged", arguments: 1...12)
  func property(_ seed: UInt64) throws {
    var rng = SplitMix(seed: seed)
    let t = TempDir()
    defer { t.cleanup() }
    let inputs = ["1-procedures.csv", "2-events.csv"].map { Self.scenario.appendingPathComponent($0).path }
    let without = try audit(inputs, asOf: Self.asOf.iso)
    let patients = without.patients.map(\.nhsNumber)
    let implants = Dictionary(grouping: without.implants, by: \.nhsNumber).mapValues { $0.map(\.procedureId) }
    var exceptions: [Exception] = []
    for i in 0..<Int(rng.next() % 25 + 5) {
      let nhs = patients[Int(rng.next() % UInt64(patients.count))]
      let own = implants[nhs]!
      let pick = Int(rng.next() % UInt64(own.count))
      let procedure: String? = rng.next() % 3 == 0 ? (rng.next() % 5 == 0 ? "NO-SUCH-IMPLANT" : own[pick]) : nil
      // Often on a boundary: recorded on D or the day after, review on D or either side of it,
      // exactly the longest allowed or one day more.
      var recorded = LocalDate(iso: "2024-01-01")!.addingDays(Int(rng.next() % 730))
      if rng.next() % 6 == 0 { recorded = Self.asOf.addingDays(Int(rng.next() % 2)) }
      var review = recorded.addingDays(Int(rng.next() % 500))
      switch rng.next() % 8 {
      case 0: review = Self.asOf.addingDays(Int(rng.next() % 3) - 1)
      case 1: review = recorded.addingMonths(12).addingDays(Int(rng.next() % 2))
      default: break
      }
      if review < recorded { review = recorded }
      // Ids whose text order differs from their number order (X10 < X9).
      exceptions.append(
        Exception(
          id: "X\(i)", nhs: nhs, finding: Self.codes[Int(rng.next() % UInt64(Self.codes.count))], procedureId: procedure,
          recordedOn: recorded, reviewBy: review))
    }
    let file = t.write(
      "exceptions.csv",
      (["exception_id,nhs_number,finding,procedure_id,reason,recorded_by,recorded_on,review_by"]
        + exceptions.map {
          "\($0.id),\($0.nhs),\($0.finding),\($0.procedureId ?? ""),informed_dissent,C1,\($0.recordedOn.iso),\($0.reviewBy.iso)"
        }).joined(separator: "\n") + "\n")
    let with = try audit(inputs + [file], asOf: Self.asOf.iso)

    func key(_ f: ReportModel.FindingRow) -> String { "\(f.nhsNumber) \(f.finding) \(f.procedureId)" }
    // The oracle: §8 written out again.
    let considered = exceptions.filter { $0.recordedOn <= Self.asOf }
    func tooLong(_ x: Exception) -> Bool { x.reviewBy > x.recordedOn.addingMonths(12) }
    func matches(_ x: Exception, _ f: ReportModel.FindingRow) -> Bool {
      x.nhs == f.nhsNumber && (x.finding == "ALL" || x.finding == f.finding) && (x.procedureId.map { $0 == f.procedureId } ?? true)
    }
    func first(_ xs: [Exception]) -> Exception? {
      xs.min { $0.reviewBy != $1.reviewBy ? $0.reviewBy > $1.reviewBy : codePointLess($0.id, $1.id) }
    }
    var expectedKept: [String] = []
    var expectedExcepted: [String: String] = [:]
    var expectedNotes: [String: String] = [:]
    for f in without.findings {
      let matching = considered.filter { matches($0, f) }
      if let x = first(matching.filter { !tooLong($0) && Self.asOf <= $0.reviewBy }) {
        expectedExcepted[key(f)] = x.id
      } else {
        expectedKept.append(key(f))
        if let x = first(matching.filter { $0.reviewBy < Self.asOf }) {
          expectedNotes[key(f)] = "; exception \(x.id) expired on \(x.reviewBy.iso)"
        }
      }
    }
    #expect(with.findings.map(key) == expectedKept)
    #expect(Dictionary(uniqueKeysWithValues: with.excepted.map { (key($0.finding), $0.exceptionId) }) == expectedExcepted)
    #expect(Set(with.findings.map(key)).union(with.excepted.map { key($0.finding) }) == Set(without.findings.map(key)))
    for f in with.findings {
      let plain = try #require(without.findings.first { key($0) == key(f) })
      #expect(f.detail == plain.detail + (expectedNotes[key(f)] ?? ""), "\(key(f))")
      #expect(f.dueDate == plain.dueDate && f.daysOverdue == plain.daysOverdue)
    }
    // Groups, statuses, due dates and flags are computed as without exceptions.
    #expect(with.patients.map { [$0.nhsNumber, $0.status, $0.groups, $0.nextReviewDue ?? "", $0.nextIonsDue ?? ""] }
      == without.patients.map { [$0.nhsNumber, $0.status, $0.groups, $0.nextReviewDue ?? "", $0.nextIonsDue ?? ""] })
    #expect(with.flags == without.flags)
    let otherWarnings = with.warnings.filter { $0.code != ExceptionPolicy.warningCode }
    #expect(otherWarnings.map { "\($0.code) \($0.recordId ?? "")" } == without.warnings.map { "\($0.code) \($0.recordId ?? "")" })
    #expect(
      with.warnings.filter { $0.code == ExceptionPolicy.warningCode }.map { $0.recordId ?? "" }.sorted()
        == considered.filter(tooLong).map(\.id).sorted())
    // A patient's open findings and an implant's compliance follow the findings left.
    for p in with.patients {
      let open = Set(with.findings.filter { $0.nhsNumber == p.nhsNumber }.map(\.finding))
      #expect(Set(p.openFindings.split(separator: ";").map(String.init)) == open)
    }
  }

  @Test("an exception row that does not read back (a code momaudit never writes) is left out, never read as ALL")
  func unreadableRow() throws {
    let (db, _) = try ingest(["1-procedures.csv", "2-events.csv", "3-exceptions.csv"].map { Self.scenario.appendingPathComponent($0).path })
    // EXC-B1 (ALL) excepts both of patient B's findings when it reads back.
    try db.write { try $0.execute(sql: "UPDATE exception SET finding = 'NOT_A_CODE' WHERE exception_id = 'EXC-B1'") }
    let run = try CheckRunner(db: db, logger: quietLogger, pack: .mhra2017, asOf: Self.asOf).run()
    let m = try #require(try db.read { try ReportModel.load($0, runId: run.runId) })
    #expect(!m.excepted.contains { $0.exceptionId == "EXC-B1" })
    #expect(m.findings.filter { $0.nhsNumber == "9993600016" }.map(\.finding) == ["IONS_OVERDUE", "REVIEW_OVERDUE"])
    // The other exceptions still apply.
    #expect(m.excepted.contains { $0.exceptionId == "EXC-A1" })
  }
}
