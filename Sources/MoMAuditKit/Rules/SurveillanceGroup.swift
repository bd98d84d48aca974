/// The five surveillance groups of surveillance-rules.md §3, in test order.
package enum SurveillanceGroup: String, CaseIterable, Sendable, Comparable {
  case asr = "ASR"
  case stemmedLargeHead = "STEMMED_LARGE_HEAD"
  case resurfacingHighRisk = "RESURFACING_HIGH_RISK"
  case resurfacingLowRisk = "RESURFACING_LOW_RISK"
  case stemmedSmallHead = "STEMMED_SMALL_HEAD"

  package static func < (a: Self, b: Self) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }

  /// "Imaging for all" (§3): baseline cross-sectional imaging is required.
  package var imagingForAll: Bool {
    switch self {
    case .asr, .stemmedLargeHead, .resurfacingHighRisk: return true
    case .resurfacingLowRisk, .stemmedSmallHead: return false
    }
  }

  package var isLowRisk: Bool { !imagingForAll }

  /// Review and ion-test interval in months for a reference date (§3; the
  /// low-risk schedule lengthens once the reference date reaches the switch).
  package func intervalMonths(reference: LocalDate, procedureDate: LocalDate, pack: RulePack) -> Int {
    switch self {
    case .asr: return pack.months(.asrIntervalMonths)
    case .stemmedLargeHead: return pack.months(.stemmedLargeHeadIntervalMonths)
    case .resurfacingHighRisk: return pack.months(.resurfacingHighRiskIntervalMonths)
    case .resurfacingLowRisk, .stemmedSmallHead:
      let switchDate = procedureDate.addingMonths(pack.months(.lowRiskSwitchMonths))
      return reference < switchDate ? pack.months(.lowRiskEarlyIntervalMonths) : pack.months(.lowRiskLateIntervalMonths)
    }
  }

  /// Classifies an active MoM implant; returns the data-quality warnings:
  /// `HEAD_SIZE_UNKNOWN` whenever the head size is blank (§6 lists it as a
  /// warning in its own right; where it decides the group the stricter group
  /// is used), `SEX_UNKNOWN` where the sex decides the group (a resurfacing
  /// that would be low risk in a male).
  package static func classify(_ p: ProcedureRecord, pack: RulePack) -> (SurveillanceGroup, [String]) {
    let headWarning = p.headDiameterMm == nil ? ["HEAD_SIZE_UNKNOWN"] : []
    if p.isASR { return (.asr, headWarning) }
    let largeHead = pack[.largeHeadMinimumMm]
    switch p.procedureType {
    case .totalHip, .revision:
      guard let head = p.headDiameterMm else { return (.stemmedLargeHead, headWarning) }
      return head >= largeHead ? (.stemmedLargeHead, []) : (.stemmedSmallHead, [])
    case .resurfacing:
      let maxHigh = pack[.resurfacingMaleHighRiskMaxHeadMm]
      switch p.sex {
      case .female:
        return (.resurfacingHighRisk, headWarning)
      case .male:
        guard let head = p.headDiameterMm else { return (.resurfacingHighRisk, headWarning) }
        return head <= maxHigh ? (.resurfacingHighRisk, []) : (.resurfacingLowRisk, [])
      case .unknown:
        // Sex matters only when a male with this head would be low risk.
        guard let head = p.headDiameterMm else { return (.resurfacingHighRisk, ["SEX_UNKNOWN"] + headWarning) }
        return (.resurfacingHighRisk, head <= maxHigh ? [] : ["SEX_UNKNOWN"])
      }
    }
  }
}
