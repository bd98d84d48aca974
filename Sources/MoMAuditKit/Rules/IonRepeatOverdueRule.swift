/// §4.3 Repeat test after a raised result — `ION_REPEAT_OVERDUE` (patient level).
package struct IonRepeatOverdueRule: SurveillanceRule {
  package let description = RuleDescription(
    code: "ION_REPEAT_OVERDUE", section: "4.3", title: "Repeat test after a raised result", level: .patient,
    summary: """
      A whole-blood test is raised when cobalt or chromium is above the threshold after conversion to µg/L \
      (exactly the threshold is not raised); a censored value (`<0.5`, `>7`) is above only when every value it \
      allows is (`>7` is raised; `>=7` and `<10` are not, with the warning `CENSORED_RESULT_UNCERTAIN`). When \
      the patient's latest test is raised, a repeat test is due \
      a set number of months after it. Names the ion-governing implant.
      """,
    source: "MDA/2010/033, MDA/2015/024, MDA/2017/018: the 7 ppb threshold and the repeat at 3 months",
    parameters: [.ionThresholdMicrograms, .ionRepeatMonths, .graceDays])

  package init() {}

  package func evaluate(_ c: PatientContext) -> [Finding] {
    guard let test = c.latestIonTest, c.isRaised(test), let governing = c.ionSchedule?.governing else { return [] }
    let months = c.pack.months(.ionRepeatMonths)
    let due = test.eventDate.addingMonths(months)
    guard c.isOverdue(due) else { return [] }
    let detail = "ion test \(test.eventDate.iso) raised; repeat test due \(due.iso)"
    let evidence = [
      "latest whole-blood test: \(describe(test))",
      "threshold: above \(formatNumber(c.pack[.ionThresholdMicrograms])) µg/L",
      "\(test.eventDate.iso) + \(months) months = \(due.iso)",
      "as of \(c.asOf.iso): \(c.daysOverdue(due)) days overdue",
    ]
    return [Finding(code: description.code, context: c, implant: governing, due: due, lastDone: test.eventDate, detail: detail, evidence: evidence)]
  }
}
