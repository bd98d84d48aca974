/// §4.6 Baseline imaging — `IMAGING_BASELINE_MISSING` (implant level).
package struct ImagingBaselineMissingRule: SurveillanceRule {
  package let description = RuleDescription(
    code: "IMAGING_BASELINE_MISSING", section: "4.6", title: "Baseline imaging", level: .implant,
    summary: """
      For an active implant in a group with imaging for all (ASR, STEMMED_LARGE_HEAD, RESURFACING_HIGH_RISK): \
      when there is no MARS MRI or ultrasound of its side (or side B or none) dated after its operation, imaging \
      is due some months after the operation.
      """,
    source: "MDA/2015/024 table \"MARS MRI or ultrasound: recommended in all cases\" for these groups, carried into MDA/2017/018",
    parameters: [.baselineImagingMonths, .graceDays])

  package init() {}

  package func evaluate(_ c: PatientContext) -> [Finding] {
    var out: [Finding] = []
    let months = c.pack.months(.baselineImagingMonths)
    for implant in c.activeImplants where implant.group?.imagingForAll == true {
      if c.imaging(covering: implant.side).contains(where: { $0.eventDate > implant.date }) { continue }
      let due = implant.date.addingMonths(months)
      guard c.isOverdue(due) else { continue }
      let detail = "no MARS MRI or ultrasound of the \(sideWords(implant.side)) since the operation on \(implant.date.iso); baseline imaging due \(due.iso)"
      let evidence = [
        "implant \(implant.id) (\(implant.side.rawValue), operated \(implant.date.iso)), group \(implant.group!.rawValue): imaging for all",
        "\(implant.date.iso) + \(months) months = \(due.iso)",
        "as of \(c.asOf.iso): \(c.daysOverdue(due)) days overdue",
      ]
      out.append(Finding(code: description.code, context: c, implant: implant, due: due, lastDone: nil, detail: detail, evidence: evidence))
    }
    return out
  }
}
