import Foundation
import GRDB

/// Everything the reports show about one check run, read from the database.
/// Renderers are pure functions of this model; every query has an ORDER BY.
package struct ReportModel: Sendable, Codable, Equatable {
  package struct Run: Sendable, Codable, Equatable {
    package var id: Int64
    package var asOf: String
    package var packName: String
    package var pack: RulePack
    package var localProtocol: Bool
    package var softwareVersion: String
    package var startedAt: String
    package var durationSeconds: Double
    /// The newest input file when the run was stored: what was withdrawn
    /// after it is "withdrawn since" this run.
    package var lastSourceFileId: Int64 = 0
  }

  package struct SourceFile: Sendable, Codable, Equatable {
    package var id: Int64
    package var path: String
    /// The manifest's source of the file; nil for a positional input.
    package var source: String?
    package var format: String
    package var kind: String?
    package var status: String
    package var error: String?
    package var rowsRead: Int
    package var rowsAccepted: Int
    package var rowsRejected: Int
    package var rowsSkipped: Int
    /// Skipped rows by the profile rule that skipped them, in rule order.
    package var skips: [ReportFigures.Count]
    package var recordsReplaced: Int
    /// Loaded as part of a cumulative source's delivery.
    package var cumulative: Bool = false
    /// Records new to the database; nil for a file loaded before these were counted.
    package var recordsAdded: Int? = nil
    package var recordsUnchanged: Int = 0
    /// Records of its source its delivery withdrew, attributed to this file.
    package var recordsWithdrawn: Int = 0
  }

  /// A record withdrawn by a cumulative source's delivery (sources.md §3),
  /// as withdrawn.csv lists it.
  package struct WithdrawnRow: Sendable, Codable, Equatable {
    package var recordKind: String
    package var recordId: String
    package var nhsNumber: String
    package var source: String?
    package var withdrawnByFile: String
    package var withdrawnAt: String
  }

  package struct FindingRow: Sendable, Codable, Equatable {
    package var nhsNumber: String
    package var finding: String
    package var procedureId: String
    package var side: String
    package var group: String
    package var dueDate: String
    package var daysOverdue: Int
    package var lastDone: String?
    package var trustCode: String?
    package var siteCode: String?
    package var consultantCode: String?
    package var detail: String
    package var evidence: [String]
    /// The expired exception the detail names (surveillance-rules.md §8), if any.
    package var expiredExceptionId: String? = nil
  }

  /// A finding an exception in force took off the worklist (excepted.csv).
  package struct ExceptedRow: Sendable, Codable, Equatable {
    package var finding: FindingRow
    package var exceptionId: String
    package var reason: String
    package var recordedBy: String
    package var reviewBy: String
  }

  /// An exception of a MoM patient of the run, recorded on or before its
  /// as-of date, with its state then (surveillance-rules.md §8).
  package struct ExceptionRow: Sendable, Codable, Equatable {
    package var exceptionId: String
    package var nhsNumber: String
    package var finding: String
    package var procedureId: String?
    package var reason: String
    package var recordedBy: String
    package var recordedOn: String
    package var reviewBy: String
    /// `in_force`, `expired` or `too_long`.
    package var state: String
    package var patientStatus: String
  }

  package struct PatientRow: Sendable, Codable, Equatable {
    package var nhsNumber: String
    package var status: String
    package var groups: String
    package var nextReviewDue: String?
    package var nextIonsDue: String?
    package var lastReview: String?
    package var lastIonTest: String?
    /// In µg/L, a censored value with its comparator in front (`<0.5`).
    package var lastCobalt: String?
    package var lastChromium: String?
    package var openFindings: String
    package var clinicalFlags: String
    /// The governing implant of the patient's periodic review (in surveillance only).
    package var reviewProcedureId: String? = nil
  }

  package struct ImplantRow: Sendable, Codable, Equatable {
    package var procedureId: String
    package var nhsNumber: String
    package var side: String
    package var procedureDate: String
    package var group: String?
    package var active: Bool
    package var status: String
    package var lastReview: String?
    package var lastIonTest: String?
    /// In µg/L, a censored value with its comparator in front (`<0.5`).
    package var lastCobalt: String?
    package var lastChromium: String?
    package var lastImaging: String?
    package var lastImagingFinding: String?
    package var compliant: Bool
    /// How the implant was found to be MoM: `bearing`, `components` (the implant library) or `assumed`.
    package var momBasis: String
    package var siteCode: String?
    package var consultantCode: String?
    package var trustCode: String? = nil
  }

  package struct FlagRow: Sendable, Codable, Equatable {
    package var nhsNumber: String
    package var flag: String
    package var procedureId: String?
    package var detail: String
  }

  package struct RejectRow: Sendable, Codable, Equatable {
    package var file: String
    package var line: Int?
    package var location: String?
    package var recordKind: String?
    package var recordId: String?
    package var field: String?
    package var reasonCode: String
    package var reason: String
    package var raw: String
  }

  package struct WarningRow: Sendable, Codable, Equatable {
    package var code: String
    package var nhsNumber: String?
    package var recordKind: String?
    package var recordId: String?
    package var file: String?
    package var line: Int?
    package var detail: String
  }

  package var run: Run
  package var files: [SourceFile]
  package var findings: [FindingRow]
  /// Findings excepted by clinicians' decisions, in findings.csv's order.
  package var excepted: [ExceptedRow] = []
  /// The run's exceptions, by exception id.
  package var exceptions: [ExceptionRow] = []
  /// Section 9: the latest run of every as-of date up to this run's.
  package var trend: [TrendPoint] = []
  package var patients: [PatientRow]
  package var implants: [ImplantRow]
  package var flags: [FlagRow]
  /// Rejects of the current files only (a cumulative source's superseded files are left out).
  package var rejects: [RejectRow]
  package var warnings: [WarningRow]
  /// Records withdrawn since the compared run (every withdrawn one when there is none), still withdrawn.
  package var withdrawn: [WithdrawnRow] = []
  /// Files of earlier deliveries of cumulative sources, not listed in `files`.
  package var supersededFiles: Int = 0
  /// The run this one is compared with (section 7): by default the previous
  /// check run of the same database, or any run named with `--compare`.
  package var comparison: Comparison?

  package struct Comparison: Sendable, Codable, Equatable {
    package var run: Run
    package var findings: [FindingRow]
    package var figures: ReportFigures
  }

  package var previousRunId: Int64? { comparison?.run.id }
  package var previousFindings: [FindingRow]? { comparison?.findings }

  /// Whether the database holds a check run with this id.
  package static func runExists(_ db: Database, id: Int64) throws -> Bool {
    try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM check_run WHERE id = ?)", arguments: [id]) ?? false
  }

  /// The check run before run `id`, if any.
  static func runId(_ db: Database, before id: Int64) throws -> Int64? {
    try Int64.fetchOne(db, sql: "SELECT id FROM check_run WHERE id < ? ORDER BY id DESC LIMIT 1", arguments: [id])
  }

  /// Loads a run (default: the latest) and the run it is compared with:
  /// `compareWith`, or else the previous run of the database, if any.
  package static func load(_ db: Database, runId: Int64?, compareWith: Int64? = nil) throws -> ReportModel? {
    guard var model = try loadRun(db, runId: runId) else { return nil }
    let otherId: Int64?
    if let compareWith {
      otherId = compareWith
    } else {
      otherId = try Self.runId(db, before: model.run.id)
    }
    if let otherId, otherId != model.run.id, let other = try loadRun(db, runId: otherId) {
      model.comparison = Comparison(run: other.run, findings: other.findings, figures: ReportFigures(other).compared())
    }
    model.withdrawn = try Array(WithdrawnRow.fetchCursor(db, since: model.comparison?.run.lastSourceFileId))
    return model
  }

  static func loadRun(_ db: Database, runId: Int64?) throws -> ReportModel? {
    guard let run = try Run.fetch(db, id: runId) else { return nil }
    return ReportModel(
      run: run, files: try SourceFile.fetchAll(db),
      findings: try Array(FindingRow.fetchCursor(db, runId: run.id)),
      excepted: try Array(ExceptedRow.fetchCursor(db, runId: run.id)),
      exceptions: try Array(ExceptionRow.fetchCursor(db, runId: run.id)),
      trend: try TrendPoint.load(db, upTo: run),
      patients: try Array(PatientRow.fetchCursor(db, runId: run.id)),
      implants: try Array(ImplantRow.fetchCursor(db, runId: run.id)),
      flags: try Array(FlagRow.fetchCursor(db, runId: run.id)),
      rejects: try Array(RejectRow.fetchCursor(db)),
      warnings: try Array(WarningRow.fetchCursor(db, runId: run.id)),
      supersededFiles: try SourceFile.supersededCount(db), comparison: nil)
  }
}
