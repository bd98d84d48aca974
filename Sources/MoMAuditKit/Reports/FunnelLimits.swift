import Foundation

/// Funnel-plot control limits by the exact binomial method with interpolation
/// (Spiegelhalter DJ. Funnel plots for comparing institutional performance.
/// Statistics in Medicine 2005;24:1185–1202).
///
/// For a unit with `n` patients of whom `r` have at least one finding, the plot
/// shows `r / n` against `n`, with the target `p0 = (sum of r) / (sum of n)` over
/// the units of that kind. For `X ~ Binomial(n, p0)` and a probability `p`:
///
/// - `r_p` is the smallest `r` with `P(X ≤ r) ≥ p`;
/// - `α = (P(X ≤ r_p) − p) / P(X = r_p)`, which lies in `[0, 1)`;
/// - the limit is `(r_p − α) / n`.
///
/// The limits are at probabilities 0.001 and 0.999 (99.8 %) and 0.025 and
/// 0.975 (95 %). Equivalently, `n` times the limit is where the straight line
/// joining `(r − 1, P(X ≤ r − 1))` and `(r, P(X ≤ r))` reaches `p`, so each
/// limit is a continuous function of `p` and of `p0`.
///
/// Three decisions go beyond the literal formula:
///
/// - **Negative limits are kept.** When `r_p = 0` (small `n`, small `p0`) the
///   formula gives `−α / n`, which is below zero (but never below `−1 / n`).
///   That value is returned unchanged; a chart clamps it to 0 when drawing, this
///   type does not. An upper limit never exceeds 1.
/// - **No finding is never an outlier.** For a rare finding in a small unit
///   even the upper limits can be negative; a unit with `r = 0` is nonetheless
///   ``FunnelStatus/none`` (see ``status(r:n:)``).
/// - **Degenerate targets.** When `p0 = 0` (no unit of the kind has a finding)
///   or `p0 = 1` (every patient has one), `Binomial(n, p0)` is a point mass and
///   the literal formula puts every limit a fraction of a patient *below*
///   `p0`, which would make every unit an alarm. Instead every limit equals
///   `p0`, so every unit consistent with that target (all at `r = 0`, or all at
///   `r = n`) sits exactly on its limits and has status ``FunnelStatus/none``.
///   A `p0` below 0 is treated as 0, above 1 as 1, and a `p0` that is not a
///   number (no patients at all, `0 / 0`) as 0. An `n` of 0 or less carries no
///   information either: its limits also all equal `p0`.
package struct FunnelLimits: Equatable, Sendable {
  /// Lower 99.8 % limit (probability 0.001); may be negative for small `n`.
  package var lower998: Double
  /// Lower 95 % limit (probability 0.025); may be negative for small `n`.
  package var lower95: Double
  /// Upper 95 % limit (probability 0.975).
  package var upper95: Double
  /// Upper 99.8 % limit (probability 0.999).
  package var upper998: Double

  /// Limits given directly (for tests and for values read back from elsewhere).
  package init(lower998: Double, lower95: Double, upper95: Double, upper998: Double) {
    self.lower998 = lower998
    self.lower95 = lower95
    self.upper95 = upper95
    self.upper998 = upper998
  }

  /// The four limits for a unit of `n > 0` patients at target `p0` in `[0, 1]`.
  /// See the type's documentation for `p0` of exactly 0 or 1 and for `n ≤ 0`.
  package init(n: Int, p0: Double) {
    guard n > 0, let dist = BinomialCDF(n: n, p0: p0) else {
      let t = FunnelLimits.clampedTarget(p0)
      self.init(lower998: t, lower95: t, upper95: t, upper998: t)
      return
    }
    self.init(
      lower998: dist.limit(probability: 0.001),
      lower95: dist.limit(probability: 0.025),
      upper95: dist.limit(probability: 0.975),
      upper998: dist.limit(probability: 0.999))
  }

  /// `p0` as used for degenerate targets: not-a-number and anything below 0
  /// become 0, anything above 1 becomes 1.
  static func clampedTarget(_ p0: Double) -> Double {
    if p0.isNaN || p0 <= 0 { return 0 }
    if p0 >= 1 { return 1 }
    return p0
  }
}

/// Where a unit falls against its funnel limits. Only the upper side counts: a
/// unit below its lower limits has status ``none``.
package enum FunnelStatus: String, Sendable {
  /// Above the upper 99.8 % limit.
  case alarm
  /// Above the upper 95 % limit but not above the upper 99.8 % limit.
  case alert
  /// Not above the upper 95 % limit (including exactly on it).
  case none
}

extension FunnelLimits {
  /// How far, in patients, `r` must lie above `n × limit` to count as beyond
  /// the limit.
  ///
  /// `n × limit` is `r_p − α` with `r_p` an integer and `α` in `[0, 1)`, and `r`
  /// is an integer, so `r − (r_p − α)` is either at most 0, or `α` (when
  /// `r = r_p`), or at least 1 (when `r > r_p`). The tolerance therefore only
  /// ever affects a unit with `r = r_p` and `0 ≤ α ≤ 1e-9`: a unit within a
  /// billionth of a patient of the limit, which is a tie in all but rounding
  /// (computing `α` in floating point leaves noise of about 1e-16 where the
  /// exact value is 0). Every unit a whole patient or more above the limit, and
  /// every unit at `r_p` with a genuine `α` above 1e-9, is still reported.
  /// Rounding in the stored limit and in `n × limit` is about `n × 2.2e-16`,
  /// well inside the tolerance for `n` up to a few million.
  static let beyondTolerance = 1e-9

  /// The status of a unit with `r` of `n` patients with a finding against
  /// these limits, which must have been computed for the same `n`: ``FunnelStatus/alarm``
  /// above `upper998`, ``FunnelStatus/alert`` above `upper95`, otherwise
  /// ``FunnelStatus/none``. A unit exactly on a limit is not beyond it (see
  /// ``beyondTolerance``), and only the upper side counts. An `n` of 0 or less
  /// is ``FunnelStatus/none``.
  ///
  /// A unit with no finding (`r = 0`) is always ``FunnelStatus/none``. The
  /// upper limit at probability `p` is below zero exactly when
  /// `P(X = 0) > p`, that is for rare findings in small units (for example
  /// `p0 = 0.01` and `n = 1` gives an upper 95 % limit of about −0.015, and
  /// `p0 = 0.001` gives one below zero for every `n` up to 25). Read literally,
  /// a unit with no finding at all would then be "above" it. No count can be
  /// less surprising than 0 (`P(X ≥ 0) = 1`), so such a unit is not flagged;
  /// any `r ≥ 1` against a negative limit is still flagged, and rightly, as
  /// `P(X ≥ 1) = 1 − P(X = 0) < 1 − p`.
  package func status(r: Int, n: Int) -> FunnelStatus {
    guard n > 0, r > 0 else { return .none }
    let count = Double(r), size = Double(n)
    // r − n × limit with a single rounding (fused multiply-add).
    func beyond(_ limit: Double) -> Bool { count.addingProduct(-size, limit) > Self.beyondTolerance }
    if beyond(upper998) { return .alarm }
    if beyond(upper95) { return .alert }
    return .none
  }

  /// The single limit `(r_p − α) / n` at probability `p` (strictly between 0
  /// and 1) for `n` patients at target `p0`; exposed for tests. Degenerate
  /// targets and `n ≤ 0` give `p0` as for ``init(n:p0:)``.
  package static func limit(n: Int, p0: Double, probability p: Double) -> Double {
    guard n > 0, let dist = BinomialCDF(n: n, p0: p0) else { return clampedTarget(p0) }
    return dist.limit(probability: p)
  }
}

/// Caches limits per `n` for one target `p0`: thousands of units share a few
/// values of `n`.
package struct FunnelLimitTable: Sendable {
  /// The target all limits in this table are computed for.
  package let p0: Double
  private var cache: [Int: FunnelLimits] = [:]

  package init(p0: Double) { self.p0 = p0 }

  /// The limits for `n` patients, computed on first use.
  package mutating func limits(n: Int) -> FunnelLimits {
    if let hit = cache[n] { return hit }
    let fresh = FunnelLimits(n: n, p0: p0)
    cache[n] = fresh
    return fresh
  }
}

/// The binomial distribution `Binomial(n, p0)` for `p0` strictly between 0 and
/// 1, held as probability weights over the range of `r` where they matter.
///
/// The weights are built outwards from the mode by the recurrence
/// `P(r + 1) / P(r) = (n − r) / (r + 1) × p0 / (1 − p0)`, starting from 1 at the
/// mode, and summed for normalisation. Nothing overflows (the largest weight is
/// 1) and the normalisation removes the need for `lgamma`, whose absolute error
/// grows with `n`. Outwards from the mode the weights only fall, and each side
/// stops once a weight falls below 1e-300 of the mode's: the probability left
/// out is below 1e-290, so `P(X ≤ r)` keeps its ~1e-15 accuracy while the work
/// is proportional to the standard deviation, not to `n` (about 75 standard
/// deviations of weights at most; for `n` of 1,000,000 at `p0 = 0.5`, 37,000).
private struct BinomialCDF {
  let n: Int
  /// `r` of `weights[0]`.
  let low: Int
  /// Unnormalised probabilities of `r = low, low + 1, …`.
  let weights: [Double]
  /// Sum of `weights`.
  let total: Double

  /// Nil when `p0` is not strictly between 0 and 1 (a degenerate target).
  init?(n: Int, p0: Double) {
    guard n > 0, p0 > 0, p0 < 1 else { return nil }
    self.n = n
    let q0 = 1 - p0  // exact for p0 ≥ 0.5 (Sterbenz), relative error 1e-16 otherwise
    let odds = p0 / q0
    let mode = min(n, Int(((Double(n) + 1) * p0).rounded(.down)))
    let cutoff = 1e-300

    var below: [Double] = []  // weights of mode − 1, mode − 2, …
    var w = 1.0
    var r = mode
    while r > 0 {
      // P(r − 1) = P(r) × r / (n − r + 1) / odds
      w *= Double(r) / (Double(n - r + 1) * odds)
      if !(w >= cutoff) { break }
      below.append(w)
      r -= 1
    }
    var ws: [Double] = []
    ws.reserveCapacity(below.count + 1 + below.count + 8)
    ws.append(contentsOf: below.reversed())
    ws.append(1)
    w = 1
    r = mode
    while r < n {
      // P(r + 1) = P(r) × (n − r) / (r + 1) × odds
      w *= Double(n - r) / Double(r + 1) * odds
      if !(w >= cutoff) { break }
      ws.append(w)
      r += 1
    }
    low = mode - below.count
    weights = ws
    total = BinomialCDF.compensatedSum(ws[...])
  }

  /// Neumaier's compensated sum: the error does not grow with the count.
  static func compensatedSum(_ xs: ArraySlice<Double>) -> Double {
    var sum = 0.0, carry = 0.0
    for x in xs {
      let t = sum + x
      carry += abs(sum) >= abs(x) ? (sum - t) + x : (x - t) + sum
      sum = t
    }
    return sum + carry
  }

  /// `(r_p − α) / n` at probability `p` in `(0, 1)`.
  ///
  /// Below 0.5 the lower tail `P(X ≤ r)` is accumulated from the left; from
  /// 0.5 up the upper tail `P(X > r)` is accumulated from the right and
  /// compared with `1 − p` (exact in floating point for such `p`), so that
  /// both tails keep their relative accuracy.
  func limit(probability p: Double) -> Double {
    let offset: Double  // r_p − α
    if p < 0.5 {
      // smallest r with lowerTail(r) ≥ p × total
      let target = p * total
      var sum = 0.0, carry = 0.0
      var i = 0
      while true {
        let x = weights[i]
        let t = sum + x
        carry += abs(sum) >= abs(x) ? (sum - t) + x : (x - t) + sum
        sum = t
        // the last weight always satisfies this, as the full sum is total > target
        if sum + carry >= target || i == weights.count - 1 { break }
        i += 1
      }
      let alpha = (sum + carry - target) / weights[i]
      offset = Double(low + i) - min(max(alpha, 0), 1)
    } else {
      // smallest r with upperTail(r) = P(X > r) ≤ (1 − p) × total
      let target = (1 - p) * total
      var sum = 0.0, carry = 0.0  // upper tail beyond weights[i]
      var i = weights.count - 1
      while i > 0 {
        let x = weights[i]
        let t = sum + x
        let c = abs(sum) >= abs(x) ? (sum - t) + x : (x - t) + sum
        // upper tail beyond weights[i − 1] would be (t, carry + c)
        if t + (carry + c) > target { break }
        sum = t
        carry += c
        i -= 1
      }
      // P(X ≤ r_p) − p = (1 − p) − P(X > r_p)
      let alpha = (target - (sum + carry)) / weights[i]
      offset = Double(low + i) - min(max(alpha, 0), 1)
    }
    return offset / Double(n)
  }
}
