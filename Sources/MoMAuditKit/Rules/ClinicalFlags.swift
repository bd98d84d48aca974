/// §5 Clinical flags: listed for clinicians, never counted as missed follow-ups.
package struct ClinicalFlag: Sendable, Equatable {
  package var code: String
  package var procedureId: String?
  package var detail: String
}

package enum ClinicalFlags {
  package static let descriptions: [(code: String, summary: String, parameters: [ParameterKey])] = [
    ("CONSIDER_REVISION_IMAGING",
     "the latest MARS MRI or ultrasound of an active implant's side (or side B or none) since its operation shows muscle_or_bone_damage or pseudotumour",
     []),
    ("RISING_IONS", "the latest whole-blood ion test is rising (raised, and higher than the previous test for a raised metal)",
     [.ionThresholdMicrograms]),
    ("OHS_DETERIORATING", "the Oxford Hip Score fell by at least the set number of points between the patient's last two scored reviews",
     [.ohsDeteriorationPoints]),
    ("DID_NOT_ATTEND", "the patient's latest appointment (review, ion test, imaging, x-ray or did_not_attend) is a did_not_attend", []),
  ]

  package static func evaluate(_ c: PatientContext) -> [ClinicalFlag] {
    var flags: [ClinicalFlag] = []
    for implant in c.activeImplants {
      guard let latest = c.imaging(covering: implant.side).last(where: { $0.eventDate >= implant.date }),
        let f = latest.imagingFinding, f == .muscleOrBoneDamage || f == .pseudotumour
      else { continue }
      flags.append(
        ClinicalFlag(
          code: "CONSIDER_REVISION_IMAGING", procedureId: implant.id,
          detail: "\(latest.eventType.rawValue) \(latest.eventDate.iso) of the \(sideWords(implant.side)) shows \(f.rawValue)"))
    }
    if c.latestIonTestIsRising, let t = c.latestIonTest {
      flags.append(ClinicalFlag(code: "RISING_IONS", procedureId: nil, detail: "rising whole-blood ion levels on \(t.eventDate.iso)"))
    }
    let scored = c.reviews.filter { $0.oxfordHipScore != nil }
    if scored.count >= 2 {
      let before = scored[scored.count - 2].oxfordHipScore!
      let now = scored[scored.count - 1].oxfordHipScore!
      if Double(before - now) >= c.pack[.ohsDeteriorationPoints] {
        flags.append(
          ClinicalFlag(
            code: "OHS_DETERIORATING", procedureId: nil,
            detail: "Oxford Hip Score fell from \(before) to \(now) (\(scored[scored.count - 1].eventDate.iso))"))
      }
    }
    if let last = c.events.last(where: { $0.eventType.isAppointment }), last.eventType == .didNotAttend {
      flags.append(ClinicalFlag(code: "DID_NOT_ATTEND", procedureId: nil, detail: "did not attend on \(last.eventDate.iso)"))
    }
    return flags
  }
}
