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
      // An ion test assembled from results is named by its smallest result id.
      let kind: RecordKind = c.assembledTests.contains(e.eventId) && e.eventType == .bloodMetalIons ? .result : .event
      if first == nil {
        out.append(CheckWarning(code: "ORPHAN_EVENT", nhsNumber: nhs, recordKind: kind, recordId: e.eventId,
          detail: "\(e.eventType.rawValue) event for a patient with no procedure"))
      } else if let first, e.eventDate < first {
        out.append(CheckWarning(code: "EVENT_BEFORE_PROCEDURE", nhsNumber: nhs, recordKind: kind, recordId: e.eventId,
          detail: "\(e.eventType.rawValue) on \(e.eventDate.iso), before the patient's first procedure on \(first.iso)"))
      }
      guard e.eventType == .bloodMetalIons else { continue }
      if let s = e.sampleType, s != .wholeBlood {
        out.append(CheckWarning(code: "SAMPLE_NOT_WHOLE_BLOOD", nhsNumber: nhs, recordKind: kind, recordId: e.eventId,
          detail: "ion result on \(e.eventDate.iso) is a \(s.rawValue) sample; only whole blood satisfies a rule"))
      }
      if e.sampleType == .wholeBlood {
        // §4: an uncertain metal counts as not above; the test says so.
        let t = c.pack[.ionThresholdMicrograms]
        let uncertain = [(Metal.cobalt, e.cobaltMicrogramsValue), (.chromium, e.chromiumMicrogramsValue)]
          .compactMap { metal, v in v.flatMap { $0.position(against: t) == .uncertain ? (metal, $0) : nil } }
        if !uncertain.isEmpty {
          let what = uncertain.map { "\($0.0.rawValue) \(formatMicrograms($0.1)) µg/L" }.joined(separator: " and ")
          out.append(CheckWarning(code: "CENSORED_RESULT_UNCERTAIN", nhsNumber: nhs, recordKind: kind, recordId: e.eventId,
            detail: "\(what) on \(e.eventDate.iso) may or may not be above \(formatNumber(t)) µg/L; counted as not raised"))
        }
      }
      if e.ionUnit == .nanomolesPerLitre {
        // Exact values only: a censored value is not a rounded one.
        let bands: [(Metal, Double?, ParameterKey, ParameterKey)] = [
          (.cobalt, e.cobaltComparator == nil ? e.cobalt : nil, .cobaltRoundingBandLowNmol, .cobaltRoundingBandHighNmol),
          (.chromium, e.chromiumComparator == nil ? e.chromium : nil, .chromiumRoundingBandLowNmol,
            .chromiumRoundingBandHighNmol),
        ]
        for (metal, value, low, high) in bands {
          guard let v = value, v >= c.pack[low], v <= c.pack[high] else { continue }
          out.append(CheckWarning(code: "THRESHOLD_ROUNDING_BAND", nhsNumber: nhs, recordKind: kind, recordId: e.eventId,
            detail: "\(metal.rawValue) \(formatNumber(v)) nmol/L on \(e.eventDate.iso) is within the laboratory rounding band \(formatNumber(c.pack[low]))–\(formatNumber(c.pack[high])) nmol/L"))
        }
      }
    }
    for i in c.implants {
      switch i.basis {
      case .components:
        let entry = i.libraryEntry.map { "\"\($0.name)\" (\($0.id))" } ?? "?"
        out.append(CheckWarning(code: "BEARING_FROM_COMPONENTS", nhsNumber: nhs, recordKind: .procedure, recordId: i.id,
          detail: "bearing unknown; a component matches the implant library entry \(entry): taken as metal-on-metal"))
      case .assumed:
        out.append(CheckWarning(code: "BEARING_ASSUMED_MOM", nhsNumber: nhs, recordKind: .procedure, recordId: i.id,
          detail: "resurfacing with an unknown bearing and no implant library match: taken as metal-on-metal"))
      case .bearing:
        break
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
