/// §4.1 Periodic review — `REVIEW_OVERDUE` (patient level).
package struct ReviewOverdueRule: SurveillanceRule {
  package let description = RuleDescription(
    code: "REVIEW_OVERDUE", section: "4.1", title: "Periodic review", level: .patient,
    summary: """
      For each active MoM implant the review is due one interval (by its group) after the patient's latest \
      review on or after its operation, or after the operation when there is none; the patient's due date is the \
      earliest of these, and the implant giving it governs (ties: earliest operation, then smallest procedure_id). \
      A review on any side counts for the whole patient.
      """,
    source: "MDA/2017/018: follow-up of all MoM patients at the group's interval (annual for life for the higher-risk groups)",
    parameters: [
      .asrIntervalMonths, .stemmedLargeHeadIntervalMonths, .resurfacingHighRiskIntervalMonths,
      .lowRiskEarlyIntervalMonths, .lowRiskLateIntervalMonths, .lowRiskSwitchMonths, .graceDays,
    ])

  package init() {}

  package func evaluate(_ c: PatientContext) -> [Finding] {
    guard let s = c.reviewSchedule, c.isOverdue(s.due) else { return [] }
    return [periodicFinding(code: description.code, noun: "review", schedule: s, context: c)]
  }
}

/// Shared by §4.1 and §4.2: same arithmetic, different qualifying events.
func periodicFinding(code: String, noun: String, schedule s: Schedule, context c: PatientContext) -> Finding {
  let implant = s.governing
  let since = s.reference.map { "last \(noun) \($0.eventDate.iso)" } ?? "no \(noun) since the operation on \(implant.date.iso)"
  let detail = "\(since); \(intervalWords(s.intervalMonths)) \(noun) due \(s.due.iso)"
  var evidence = [
    "governing implant \(implant.id) (\(implant.side.rawValue), \(implant.procedure.procedureType.rawValue), operated \(implant.date.iso)), group \(implant.group!.rawValue)"
  ]
  if let r = s.reference { evidence.append("reference: \(describe(r))") } else { evidence.append("reference: the operation on \(implant.date.iso)") }
  evidence.append("\((s.reference?.eventDate ?? implant.date).iso) + \(s.intervalMonths) months = \(s.due.iso)")
  evidence.append("as of \(c.asOf.iso): \(c.daysOverdue(s.due)) days overdue")
  return Finding(code: code, context: c, implant: implant, due: s.due, lastDone: s.reference?.eventDate, detail: detail, evidence: evidence)
}
