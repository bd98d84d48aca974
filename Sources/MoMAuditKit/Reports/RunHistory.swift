import Foundation
import GRDB

/// `momaudit history` (outputs.md): one entry per stored check run, oldest
/// as-of date first (then run id), with the run's headline figures and its
/// findings per code, from the run tables alone.
package enum RunHistory {
  package struct Entry: Sendable, Codable, Equatable {
    package var runId: Int64
    package var asOf: String
    package var rulePack: String
    package var localProtocol: Bool
    package var momPatients: Int
    package var inSurveillance: Int
    package var findings: Int
    /// Findings excepted by clinicians' decisions (surveillance-rules.md §8).
    package var excepted: Int
    /// Findings (missed follow-ups) per finding code, every code of the rules.
    package var overdue: [String: Int]
  }

  /// Every finding code, in the rules' order.
  package static var codes: [String] { allRules.map { $0.description.code } }

  package static func load(_ db: Database) throws -> [Entry] {
    var perRun: [Int64: [String: Int]] = [:]
    for row in try Row.fetchAll(db, sql: "SELECT check_run_id, finding, count(*) FROM finding GROUP BY 1, 2") {
      perRun[row[0], default: [:]][row[1]] = row[2]
    }
    return try Row.fetchAll(
      db,
      sql: """
        SELECT id, as_of, pack_name, local_protocol, patients_mom, patients_in_surveillance,
          (SELECT count(*) FROM finding f WHERE f.check_run_id = check_run.id) AS findings,
          (SELECT count(*) FROM excepted_finding x WHERE x.check_run_id = check_run.id) AS excepted
        FROM check_run ORDER BY as_of, id
        """
    ).map { r in
      let id: Int64 = r["id"]
      let counts = perRun[id] ?? [:]
      return Entry(
        runId: id, asOf: r["as_of"], rulePack: r["pack_name"], localProtocol: r["local_protocol"],
        momPatients: r["patients_mom"], inSurveillance: r["patients_in_surveillance"], findings: r["findings"],
        excepted: r["excepted"], overdue: Dictionary(uniqueKeysWithValues: codes.map { ($0, counts[$0] ?? 0) }))
    }
  }

  /// Exactly one line per run (outputs.md), each value named:
  /// `run=2 as_of=2024-06-30 rule_pack=mhra-2017 local_protocol=no … REVIEW_OVERDUE=3 …`.
  package static func text(_ entries: [Entry]) -> String {
    entries.map { e in
      ([
        "run=\(e.runId)", "as_of=\(e.asOf)", "rule_pack=\(e.rulePack)", "local_protocol=\(e.localProtocol ? "yes" : "no")",
        "mom_patients=\(e.momPatients)", "in_surveillance=\(e.inSurveillance)", "findings=\(e.findings)",
        "excepted=\(e.excepted)",
      ] + codes.map { "\($0)=\(e.overdue[$0] ?? 0)" }).joined(separator: " ") + "\n"
    }.joined()
  }

  /// The same as a JSON array of objects.
  package static func json(_ entries: [Entry]) -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return String(decoding: (try? enc.encode(entries)) ?? Data("[]".utf8), as: UTF8.self) + "\n"
  }
}
