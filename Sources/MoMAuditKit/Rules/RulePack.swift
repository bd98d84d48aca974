import Foundation

/// One number of a rule pack, with where it comes from.
package struct RuleParameter: Codable, Equatable, Sendable {
  package var key: String
  package var value: Double
  package var unit: String
  package var meaning: String
  package var source: String
  /// Checked against the alert's Table 1 (surveillance-rules.md).
  package var verified: Bool
  /// Set when a local profile changed the pack's value.
  package var overridden: Bool?
}

/// A rule pack: every number the rules use, each with its source. The rules
/// read parameters by key; no threshold or interval is a literal in a rule.
package struct RulePack: Codable, Equatable, Sendable {
  package var name: String
  package var title: String
  package var parameters: [RuleParameter]

  package subscript(_ key: ParameterKey) -> Double {
    guard let p = parameters.first(where: { $0.key == key.rawValue }) else {
      preconditionFailure("rule pack \(name) has no parameter \(key.rawValue)")
    }
    return p.value
  }

  package func months(_ key: ParameterKey) -> Int { Int(self[key]) }

  package var unverified: [RuleParameter] { parameters.filter { !$0.verified } }
  /// True when a local profile changed any parameter: the report then says
  /// "local protocol, deviates from MDA/2017/018".
  package var isLocalProtocol: Bool { parameters.contains { $0.overridden == true } }

  package func parameter(_ key: ParameterKey) -> RuleParameter? {
    parameters.first { $0.key == key.rawValue }
  }

  /// Applies a local profile's overrides (`{"parameters": {"key": value}}`).
  package func overriding(_ values: [String: Double]) throws -> RulePack {
    var pack = self
    for (key, value) in values.sorted(by: { $0.key < $1.key }) {
      guard let i = pack.parameters.firstIndex(where: { $0.key == key }) else {
        throw AuditError.usage("profile: parameters.\(key) is not a parameter of rule pack \(name)")
      }
      if pack.parameters[i].value != value {
        pack.parameters[i].value = value
        pack.parameters[i].overridden = true
      }
    }
    return pack
  }

  /// A built-in pack by name, or a JSON pack file.
  package static func load(_ nameOrPath: String) throws -> RulePack {
    if let builtIn = builtIn.first(where: { $0.name == nameOrPath }) { return builtIn }
    guard FileManager.default.fileExists(atPath: nameOrPath) else {
      throw AuditError.usage(
        "unknown rule pack \"\(nameOrPath)\" (built in: \(builtIn.map(\.name).joined(separator: ", ")); or give a JSON file)")
    }
    do {
      let data = try Data(contentsOf: URL(fileURLWithPath: nameOrPath))
      let pack = try JSONDecoder().decode(RulePack.self, from: data)
      for key in ParameterKey.allCases where pack.parameter(key) == nil {
        throw AuditError.usage("rule pack \(nameOrPath): missing parameter \(key.rawValue)")
      }
      return pack
    } catch let e as AuditError {
      throw e
    } catch {
      throw AuditError.usage("rule pack \(nameOrPath) is not valid JSON: \(error)")
    }
  }

  package static let builtIn: [RulePack] = [.mhra2017]

  package var json: String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    return String(decoding: (try? enc.encode(self)) ?? Data(), as: UTF8.self)
  }
}

package enum ParameterKey: String, CaseIterable, Sendable {
  case graceDays = "grace_days"
  case asrIntervalMonths = "asr_review_interval_months"
  case stemmedLargeHeadIntervalMonths = "stemmed_large_head_review_interval_months"
  case resurfacingHighRiskIntervalMonths = "resurfacing_high_risk_review_interval_months"
  case lowRiskEarlyIntervalMonths = "low_risk_early_interval_months"
  case lowRiskLateIntervalMonths = "low_risk_late_interval_months"
  case lowRiskSwitchMonths = "low_risk_switch_after_months"
  case largeHeadMinimumMm = "stemmed_large_head_min_mm"
  case resurfacingMaleHighRiskMaxHeadMm = "resurfacing_male_high_risk_max_head_mm"
  case ionThresholdMicrograms = "ion_threshold_ug_l"
  case ionRepeatMonths = "ion_repeat_due_months"
  case imagingWindowDays = "imaging_window_days"
  case imagingRisingIonsMonths = "imaging_rising_ions_due_months"
  case imagingSymptomsMonths = "imaging_symptoms_due_months"
  case baselineImagingMonths = "baseline_imaging_due_months"
  case ohsDeteriorationPoints = "ohs_deterioration_points"
  case cobaltRoundingBandLowNmol = "cobalt_rounding_band_low_nmol_l"
  case cobaltRoundingBandHighNmol = "cobalt_rounding_band_high_nmol_l"
  case chromiumRoundingBandLowNmol = "chromium_rounding_band_low_nmol_l"
  case chromiumRoundingBandHighNmol = "chromium_rounding_band_high_nmol_l"
  case exceptionMaxMonths = "exception_max_months"
}

extension RulePack {
  /// MDA/2017/018 as surveillance-rules.md states it.
  package static let mhra2017 = RulePack(
    name: "mhra-2017",
    title: "MHRA MDA/2017/018: all metal-on-metal hip replacements (29 June 2017)",
    parameters: [
      p(.graceDays, 0, "days", "days after a due date before a requirement counts as overdue",
        "surveillance-rules.md §1 (momaudit default: no grace)", true),
      p(.asrIntervalMonths, 12, "months", "review and ion-test interval, ASR group",
        "MDA/2012/008, MDA/2012/036, MDA/2017/018: annual for life", true),
      p(.stemmedLargeHeadIntervalMonths, 12, "months", "review and ion-test interval, stemmed head ≥ 36 mm or unknown",
        "MDA/2012/008 onward: annual for life", true),
      p(.resurfacingHighRiskIntervalMonths, 12, "months", "review and ion-test interval, high-risk resurfacing",
        "MDA/2015/024 (BHR) carried into MDA/2017/018: annual for life", true),
      p(.lowRiskEarlyIntervalMonths, 12, "months", "low-risk schedule: interval in the first years",
        "MDA/2010/033: annual follow-up for the first five years for all MoM hips", true),
      p(.lowRiskLateIntervalMonths, 24, "months", "low-risk schedule: interval from then on",
        "MDA/2017/018 \"less frequent monitoring in low-risk groups\"; 24 months is the most cautious interval less frequent than annual",
        false),
      p(.lowRiskSwitchMonths, 60, "months", "low-risk schedule: months after the operation when the longer interval starts",
        "MDA/2010/033: the first five years", true),
      p(.largeHeadMinimumMm, 36, "mm", "smallest head of the stemmed large-head group",
        "MDA/2012/008 onward: stemmed total hips with head ≥ 36 mm", true),
      p(.resurfacingMaleHighRiskMaxHeadMm, 48, "mm", "largest male resurfacing head in the high-risk group",
        "MDA/2015/024 (BHR: heads ≤ 46 mm) carried into MDA/2017/018; cut-off 48 mm", false),
      p(.ionThresholdMicrograms, 7, "µg/L", "cobalt or chromium above this is raised (exactly this is not)",
        "MDA/2010/033, MDA/2015/024, MDA/2017/018: 7 ppb", true),
      p(.ionRepeatMonths, 3, "months", "repeat ion test due after a raised result",
        "MDA/2010/033, MDA/2015/024, MDA/2017/018: repeat at 3 months", true),
      p(.imagingWindowDays, 90, "days", "imaging this many days before the trigger (test or review) counts",
        "surveillance-rules.md §4.4, §4.5", false),
      p(.imagingRisingIonsMonths, 3, "months", "imaging due after a rising ion test",
        "guidance note \"Rising blood metal levels may indicate potential for soft tissue reaction\"; 3 months", false),
      p(.imagingSymptomsMonths, 3, "months", "imaging due after a symptomatic review",
        "MDA/2012/036 onward: symptomatic patients investigated with MARS MRI or ultrasound; 3 months", false),
      p(.baselineImagingMonths, 12, "months", "baseline imaging due after the operation, groups with imaging for all",
        "MDA/2015/024 table \"MARS MRI or ultrasound: recommended in all cases\" (verified); carried into 2017 (not verified)",
        false),
      p(.ohsDeteriorationPoints, 5, "points", "fall in Oxford Hip Score between the last two scored reviews that flags",
        "surveillance-rules.md §5", false),
      p(.cobaltRoundingBandLowNmol, 118, "nmol/L", "cobalt rounding band, low end (7 µg/L ≈ 118.8 nmol/L)",
        "surveillance-rules.md §6", true),
      p(.cobaltRoundingBandHighNmol, 120, "nmol/L", "cobalt rounding band, high end", "surveillance-rules.md §6", true),
      p(.chromiumRoundingBandLowNmol, 134, "nmol/L", "chromium rounding band, low end (7 µg/L ≈ 134.6 nmol/L)",
        "surveillance-rules.md §6", true),
      p(.chromiumRoundingBandHighNmol, 135, "nmol/L", "chromium rounding band, high end", "surveillance-rules.md §6",
        true),
      p(.exceptionMaxMonths, 12, "months",
        "longest an exception may run from recorded_on to review_by; a longer one is never in force (EXCEPTION_TOO_LONG)",
        "QOF exception reporting: exceptions are reviewed yearly (surveillance-rules.md §8)", false),
    ])

  private static func p(
    _ key: ParameterKey, _ value: Double, _ unit: String, _ meaning: String, _ source: String, _ verified: Bool
  ) -> RuleParameter {
    RuleParameter(key: key.rawValue, value: value, unit: unit, meaning: meaning, source: source, verified: verified)
  }
}
