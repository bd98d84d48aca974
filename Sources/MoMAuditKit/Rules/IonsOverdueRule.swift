/// §4.2 Periodic blood metal ions — `IONS_OVERDUE` (patient level).
package struct IonsOverdueRule: SurveillanceRule {
  package let description = RuleDescription(
    code: "IONS_OVERDUE", section: "4.2", title: "Periodic blood metal ions", level: .patient,
    summary: """
      As the periodic review, counting whole-blood cobalt and chromium tests instead of reviews: due one interval \
      after the latest whole-blood test on or after each active implant's operation; the earliest due date governs. \
      One test counts for both hips; serum and plasma results never count.
      """,
    source: "MDA/2017/018: cobalt and chromium in whole blood for all MoM patients, at the group's interval",
    parameters: [
      .asrIntervalMonths, .stemmedLargeHeadIntervalMonths, .resurfacingHighRiskIntervalMonths,
      .lowRiskEarlyIntervalMonths, .lowRiskLateIntervalMonths, .lowRiskSwitchMonths, .graceDays,
    ])

  package init() {}

  package func evaluate(_ c: PatientContext) -> [Finding] {
    guard let s = c.ionSchedule, c.isOverdue(s.due) else { return [] }
    return [periodicFinding(code: description.code, noun: "whole-blood ion test", schedule: s, context: c)]
  }
}
