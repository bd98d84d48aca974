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

/// A data-quality warning raised by the check (§6).
package struct CheckWarning: Sendable, Equatable {
  package var code: String
  package var nhsNumber: String
  package var recordKind: RecordKind?
  package var recordId: String?
  package var detail: String
}

package enum DataQuality {
  /// Warnings about one patient's records as of D.
  package static func warnings(_ c: PatientContext) -> [CheckWarning] {
    var out: [CheckWarning] = []
    let nhs = c.nhsNumber
    let first = c.procedures.first?.procedureDate
    for e in c.events {
      if first == nil {
        out.append(CheckWarning(code: "ORPHAN_EVENT", nhsNumber: nhs, recordKind: .event, recordId: e.eventId,
          detail: "\(e.eventType.rawValue) event for a patient with no procedure"))
      } else if let first, e.eventDate < first {
        out.append(CheckWarning(code: "EVENT_BEFORE_PROCEDURE", nhsNumber: nhs, recordKind: .event, recordId: e.eventId,
          detail: "\(e.eventType.rawValue) on \(e.eventDate.iso), before the patient's first procedure on \(first.iso)"))
      }
      guard e.eventType == .bloodMetalIons else { continue }
      if let s = e.sampleType, s != .wholeBlood {
        out.append(CheckWarning(code: "SAMPLE_NOT_WHOLE_BLOOD", nhsNumber: nhs, recordKind: .event, recordId: e.eventId,
          detail: "ion result on \(e.eventDate.iso) is a \(s.rawValue) sample; only whole blood satisfies a rule"))
      }
      if e.ionUnit == .nanomolesPerLitre {
        let bands: [(Metal, Double?, ParameterKey, ParameterKey)] = [
          (.cobalt, e.cobalt, .cobaltRoundingBandLowNmol, .cobaltRoundingBandHighNmol),
          (.chromium, e.chromium, .chromiumRoundingBandLowNmol, .chromiumRoundingBandHighNmol),
        ]
        for (metal, value, low, high) in bands {
          guard let v = value, v >= c.pack[low], v <= c.pack[high] else { continue }
          out.append(CheckWarning(code: "THRESHOLD_ROUNDING_BAND", nhsNumber: nhs, recordKind: .event, recordId: e.eventId,
            detail: "\(metal.rawValue) \(formatNumber(v)) nmol/L on \(e.eventDate.iso) is within the laboratory rounding band \(formatNumber(c.pack[low]))–\(formatNumber(c.pack[high])) nmol/L"))
        }
      }
    }
    let knownSexes = Set(c.procedures.map(\.sex).filter { $0 != .unknown })
    if knownSexes.count > 1 {
      out.append(CheckWarning(code: "SEX_INCONSISTENT", nhsNumber: nhs, recordKind: nil, recordId: nil,
        detail: "procedure rows give different sexes; each implant uses its own row's sex"))
    }
    for implant in c.implants where !implant.active && implant.procedure.headDiameterMm == nil {
      out.append(CheckWarning(code: "HEAD_SIZE_UNKNOWN", nhsNumber: nhs, recordKind: .procedure, recordId: implant.id,
        detail: "head size unknown (implant revised, not under surveillance)"))
    }
    for implant in c.implants where implant.active {
      for code in implant.warnings {
        let what = code == "HEAD_SIZE_UNKNOWN" ? "head size unknown" : "sex unknown"
        out.append(CheckWarning(code: code, nhsNumber: nhs, recordKind: .procedure, recordId: implant.id,
          detail: "\(what); placed in the stricter group \(implant.group!.rawValue)"))
      }
    }
    return out
  }
}
