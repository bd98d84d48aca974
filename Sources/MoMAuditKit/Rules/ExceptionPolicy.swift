/// Clinicians' exceptions acting on findings (surveillance-rules.md §8).
///
/// MDA/2017/018: "each patient must be assessed individually". An exception
/// is **in force** on D when `recorded_on ≤ D ≤ review_by` and `review_by` is
/// at most `exception_max_months` after `recorded_on`; a longer one is never
/// in force and gets the warning `EXCEPTION_TOO_LONG`. A finding is
/// **excepted** when an exception in force has its NHS number, its code (or
/// `ALL`) and, when the exception names a `procedure_id`, its implant (for a
/// patient-level finding, the governing implant it names). Among several,
/// the latest `review_by`, then the smallest `exception_id`, applies. A
/// finding matching exceptions none of which is in force and at least one
/// expired (`review_by < D`) stays, its detail ending "exception E expired on
/// YYYY-MM-DD". Exceptions change findings only: groups, due dates, flags and
/// warnings are computed as without them.
package struct ExceptionPolicy: Sendable {
  /// For docs/rules.md and the report.
  package static let warningCode = "EXCEPTION_TOO_LONG"
  package static let source =
    "MDA/2017/018 \"each patient must be assessed individually\"; QOF exception reporting (informed dissent, "
    + "unsuitable; exceptions are reviewed yearly)"
  package static let parameters: [ParameterKey] = [.exceptionMaxMonths]

  /// An exception's state on D. Only exceptions recorded on or before D are
  /// read by the check (like every record dated after D, a later one is ignored).
  package enum State: String, Sendable, CaseIterable {
    case inForce = "in_force", expired, tooLong = "too_long"
  }

  let asOf: LocalDate
  let maxMonths: Int

  package init(pack: RulePack, asOf: LocalDate) {
    self.asOf = asOf
    maxMonths = pack.months(.exceptionMaxMonths)
  }

  package func state(_ x: ExceptionRecord) -> State {
    if x.reviewBy > x.recordedOn.addingMonths(maxMonths) { return .tooLong }
    return asOf <= x.reviewBy ? .inForce : .expired
  }

  /// `a` applies before `b`: the later `review_by`, then the smaller id (code points).
  static func precedes(_ a: ExceptionRecord, _ b: ExceptionRecord) -> Bool {
    a.reviewBy != b.reviewBy ? a.reviewBy > b.reviewBy : codePointLess(a.exceptionId, b.exceptionId)
  }

  static func matches(_ x: ExceptionRecord, _ f: Finding) -> Bool {
    x.nhsNumber == f.nhsNumber && x.finding.covers(f.code) && (x.procedureId.map { $0 == f.procedureId } ?? true)
  }

  /// What the exceptions do to one patient's findings.
  package struct Outcome: Sendable {
    /// Findings still missed follow-ups (an expired exception noted in the detail).
    package var findings: [Finding] = []
    /// Findings taken off the worklist, each with the exception that applies.
    package var excepted: [ExceptedFinding] = []
    /// Every exception read, with its state on D.
    package var states: [(exception: ExceptionRecord, state: State)] = []
    /// `EXCEPTION_TOO_LONG`, one per exception never in force.
    package var warnings: [CheckWarning] = []
  }

  /// Applies `exceptions` (one patient's, recorded on or before D) to `findings`.
  package func apply(_ findings: [Finding], exceptions: [ExceptionRecord]) -> Outcome {
    var out = Outcome()
    guard !exceptions.isEmpty else {
      out.findings = findings
      return out
    }
    let sorted = exceptions.sorted { codePointLess($0.exceptionId, $1.exceptionId) }
    // Each exception's state once (it was decided again for every finding).
    out.states = sorted.map { ($0, state($0)) }
    let inForce = out.states.filter { $0.state == .inForce }.map(\.exception)
    for (x, state) in out.states where state == .tooLong {
      out.warnings.append(
        CheckWarning(
          code: Self.warningCode, nhsNumber: x.nhsNumber, recordKind: .exception, recordId: x.exceptionId,
          detail: "review_by \(x.reviewBy.iso) is more than \(maxMonths) months after recorded_on "
            + "\(x.recordedOn.iso) (\(ParameterKey.exceptionMaxMonths.rawValue)): never in force"))
    }
    for f in findings {
      if let x = inForce.filter({ Self.matches($0, f) }).min(by: Self.precedes) {
        out.excepted.append(ExceptedFinding(finding: f, exception: x))
      } else if let x = sorted.filter({ $0.reviewBy < asOf && Self.matches($0, f) }).min(by: Self.precedes) {
        var kept = f
        kept.detail += "; exception \(x.exceptionId) expired on \(x.reviewBy.iso)"
        kept.expiredExceptionId = x.exceptionId
        out.findings.append(kept)
      } else {
        out.findings.append(f)
      }
    }
    return out
  }
}

/// A finding an exception in force took off the worklist (excepted.csv).
package struct ExceptedFinding: Sendable, Equatable {
  package var finding: Finding
  package var exception: ExceptionRecord
}
