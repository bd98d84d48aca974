/// Comparison of units (outputs.md section 10, "Funnel plots"): each patient
/// in surveillance counts for the trust, site and consultant of the
/// governing implant of their periodic review (surveillance-rules.md §4.1);
/// a blank code is a unit of its own. A unit's r of n patients have at least
/// one finding (excepted findings do not count). The target is the pooled
/// proportion of the units of that kind; each unit has exact binomial
/// control limits at its n (FunnelLimits).
package struct UnitComparison: Sendable, Codable, Equatable {
  /// What a unit is: `trust`, `site` or `consultant`.
  package var kind: String
  /// p0 = (sum of r) / (sum of n); 0 when there are no patients.
  package var target: Double
  /// Every unit, by key (code points).
  package var units: [Unit]

  package struct Unit: Sendable, Codable, Equatable {
    /// The unit's code, or `not recorded` for a blank one.
    package var key: String
    package var n: Int
    package var r: Int
    /// Control limits at this n, each within [0, 1] (a lower limit the
    /// formula puts below 0 is 0: no proportion lies below it either way).
    package var lower998: Double
    package var lower95: Double
    package var upper95: Double
    package var upper998: Double
    /// `alarm` (above the 99.8 % upper limit), `alert` (above the 95 % one) or `none`.
    package var status: String

    package var proportion: Double { n == 0 ? 0 : Double(r) / Double(n) }
  }

  package static let kinds = ["trust", "site", "consultant"]
  /// The key of a blank code.
  package static let notRecorded = "not recorded"

  /// From (n, r) per unit key.
  package init(kind: String, counts: [String: (n: Int, r: Int)]) {
    self.kind = kind
    let totalN = counts.values.reduce(0) { $0 + $1.n }
    let totalR = counts.values.reduce(0) { $0 + $1.r }
    target = totalN == 0 ? 0 : Double(totalR) / Double(totalN)
    var table = FunnelLimitTable(p0: target)
    func clamp(_ v: Double) -> Double { min(max(v, 0), 1) }
    units = counts.keys.sorted(by: codePointLess).map { key in
      let (n, r) = counts[key]!
      let limits = table.limits(n: n)
      return Unit(
        key: key, n: n, r: r, lower998: clamp(limits.lower998), lower95: clamp(limits.lower95),
        upper95: clamp(limits.upper95), upper998: clamp(limits.upper998), status: limits.status(r: r, n: n).rawValue)
    }
  }

  /// Units beyond a limit: alarms first, then alerts; each by proportion (highest first), then key.
  package var outliers: [Unit] {
    units.filter { $0.status != FunnelStatus.none.rawValue }.sorted {
      if $0.status != $1.status { return $0.status == FunnelStatus.alarm.rawValue }
      if $0.proportion != $1.proportion { return $0.proportion > $1.proportion }
      return codePointLess($0.key, $1.key)
    }
  }
}
