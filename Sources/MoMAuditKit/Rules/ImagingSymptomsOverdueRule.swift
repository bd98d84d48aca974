/// §4.5 Imaging for symptoms — `IMAGING_SYMPTOMS_OVERDUE` (implant level).
package struct ImagingSymptomsOverdueRule: SurveillanceRule {
  package let description = RuleDescription(
    code: "IMAGING_SYMPTOMS_OVERDUE", section: "4.5", title: "Imaging for symptoms", level: .implant,
    summary: """
      When the patient's latest review is symptomatic, each active MoM implant operated on or before that review, \
      on the review's side (every such implant when the review has side B or none), needs a MARS MRI or \
      ultrasound of its side (or side B or none) from the window before the review up to the as-of date; \
      without one, imaging is due some months after the review.
      """,
    source: "MDA/2012/036 onward: symptomatic MoM patients are investigated with MARS MRI or ultrasound",
    parameters: [.imagingWindowDays, .imagingSymptomsMonths, .graceDays])

  package init() {}

  package func evaluate(_ c: PatientContext) -> [Finding] {
    guard let review = c.reviews.last, review.symptomatic == true else { return [] }
    let windowStart = review.eventDate.addingDays(-Int(c.pack[.imagingWindowDays]))
    let months = c.pack.months(.imagingSymptomsMonths)
    let due = review.eventDate.addingMonths(months)
    guard c.isOverdue(due) else { return [] }
    let reviewSide = review.side ?? .both
    var out: [Finding] = []
    for implant in c.activeImplants where implant.date <= review.eventDate && reviewSide.covers(implant.side) {
      let imaging = c.imaging(covering: implant.side)
      if imaging.contains(where: { $0.eventDate >= windowStart }) { continue }
      let before = imaging.last { $0.eventDate < windowStart }
      let since = before.map { "no MARS MRI or ultrasound of the \(sideWords(implant.side)) since \($0.eventDate.iso)" }
        ?? "no MARS MRI or ultrasound of the \(sideWords(implant.side)) on record"
      let detail = "symptomatic review \(review.eventDate.iso); \(since); imaging due \(due.iso)"
      let evidence = [
        "latest review: \(describe(review))",
        "implant \(implant.id) (\(implant.side.rawValue), operated \(implant.date.iso)), group \(implant.group!.rawValue)",
        "no MARS MRI or ultrasound of the \(sideWords(implant.side)) from \(windowStart.iso) to \(c.asOf.iso)",
        "\(review.eventDate.iso) + \(months) months = \(due.iso)",
        "as of \(c.asOf.iso): \(c.daysOverdue(due)) days overdue",
      ]
      out.append(Finding(code: description.code, context: c, implant: implant, due: due, lastDone: before?.eventDate, detail: detail, evidence: evidence))
    }
    return out
  }
}
