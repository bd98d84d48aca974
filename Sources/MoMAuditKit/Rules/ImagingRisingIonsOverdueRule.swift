/// §4.4 Imaging after rising levels — `IMAGING_RISING_IONS_OVERDUE` (patient level).
package struct ImagingRisingIonsOverdueRule: SurveillanceRule {
  package let description = RuleDescription(
    code: "IMAGING_RISING_IONS_OVERDUE", section: "4.4", title: "Imaging after rising levels", level: .patient,
    summary: """
      A test is rising when it is raised and, for a metal above the threshold in it, the value is higher than in \
      the patient's previous whole-blood test (censored values compare as ranges: `9` is higher than `<0.5`, not \
      than `>8`). When the latest test is rising and there is no MARS MRI or \
      ultrasound of any side from the window before the test up to the as-of date, imaging is due some months \
      after the test. Names the ion-governing implant.
      """,
    source: """
      guidance note "Rising blood metal levels may indicate potential for soft tissue reaction"; NHS patient \
      guidance "patients without symptoms should have a scan if the level of metal ions in their blood is rising"
      """,
    parameters: [.ionThresholdMicrograms, .imagingWindowDays, .imagingRisingIonsMonths, .graceDays])

  package init() {}

  package func evaluate(_ c: PatientContext) -> [Finding] {
    guard let test = c.latestIonTest, c.latestIonTestIsRising, let governing = c.ionSchedule?.governing else { return [] }
    let windowStart = test.eventDate.addingDays(-Int(c.pack[.imagingWindowDays]))
    if c.imaging.contains(where: { $0.eventDate >= windowStart }) { return [] }
    let months = c.pack.months(.imagingRisingIonsMonths)
    let due = test.eventDate.addingMonths(months)
    guard c.isOverdue(due) else { return [] }
    let before = c.imaging(covering: governing.side).last { $0.eventDate < windowStart }
    let since = before.map { "no MARS MRI or ultrasound since \($0.eventDate.iso)" } ?? "no MARS MRI or ultrasound on record"
    let detail = "rising ion levels on \(test.eventDate.iso); \(since); imaging due \(due.iso)"
    var evidence = ["latest whole-blood test: \(describe(test))"]
    if let p = c.previousIonTest { evidence.append("previous whole-blood test: \(describe(p))") }
    evidence += [
      "no MARS MRI or ultrasound of any side from \(windowStart.iso) to \(c.asOf.iso)",
      "\(test.eventDate.iso) + \(months) months = \(due.iso)",
      "as of \(c.asOf.iso): \(c.daysOverdue(due)) days overdue",
    ]
    return [Finding(code: description.code, context: c, implant: governing, due: due, lastDone: before?.eventDate, detail: detail, evidence: evidence)]
  }
}
