import Foundation

/// The report's two plots with axes: the trend's run chart (section 9) and
/// the funnel plot of a kind of unit (section 10). Same conventions as the
/// bar charts: a title, words in a legend, shapes as well as colours, and a
/// figcaption that says it in a sentence; the data table follows each.
extension ReportCharts {
  /// Plot area inside the SVG (left margin for the y labels, bottom for the x labels).
  struct Frame {
    var left = 56, top = 36, width = 408, height = 200
    var bottom: Int { top + height }
    var right: Int { left + width }
    func x(_ fraction: Double) -> Double { Double(left) + fraction * Double(width) }
    func y(_ fraction: Double) -> Double { Double(bottom) - fraction * Double(height) }
  }

  /// A coordinate with one decimal (keeps the SVG small and deterministic).
  static func c(_ v: Double) -> String { String(format: "%.1f", v) }

  /// A y axis from 0 to `top` (a percentage of `percentTop`) with labelled
  /// gridlines at round values (`label` formats a value).
  static func yAxis(_ f: Frame, top: Double, label: (Double) -> String) -> String {
    let ticks = top == 20 || top == 100 ? 4 : 5
    var s = ""
    for i in 0...ticks {
      let v = top * Double(i) / Double(ticks)
      let y = f.y(Double(i) / Double(ticks))
      s += "<line x1=\"\(f.left)\" y1=\"\(c(y))\" x2=\"\(f.right)\" y2=\"\(c(y))\" stroke=\"#d0d0d0\" stroke-width=\"1\"></line>"
      s += text(f.left - 6, Int(y.rounded()) + 5, label(v), anchor: "end")
    }
    return s + "<line x1=\"\(f.left)\" y1=\"\(f.top)\" x2=\"\(f.left)\" y2=\"\(f.bottom)\" stroke=\"\(Palette.ink)\" stroke-width=\"1\"></line>"
  }

  /// A percentage axis top: the next of 5, 10, 20, 25, 50, 100 above the largest value.
  static func percentTop(_ values: [Double]) -> Double {
    let m = values.max() ?? 0
    return [5.0, 10, 20, 25, 50, 100].first { $0 >= m } ?? 100
  }

  static func percentText(_ v: Double) -> String { String(format: "%.1f%%", v) }

  /// A run chart: `points` (label, percentage; nil when nobody was in surveillance) in time order,
  /// joined by a line, each marked and its value written above it, with the median as a dashed line.
  /// `legend`: the key in words above the plot; otherwise the title is written there.
  package static func runChart(
    id: String, title: String, points: [(label: String, value: Double?)], legend withKey: Bool = true
  ) -> String {
    let f = Frame()
    let height = f.bottom + 48
    let values = points.compactMap(\.value)
    let top = percentTop(values)
    var s = open(id: id, title: title, height: height)
    if withKey {
      s += "<line x1=\"0\" y1=\"12\" x2=\"24\" y2=\"12\" stroke=\"\(Palette.accent)\" stroke-width=\"3\"></line>"
        + text(30, 18, "% with a missed follow-up")
        + "<line x1=\"262\" y1=\"12\" x2=\"286\" y2=\"12\" stroke=\"\(Palette.muted)\" stroke-width=\"2\" stroke-dasharray=\"6 4\"></line>"
        + text(292, 18, "median")
    } else {
      s += text(0, 18, clip(title, 52), bold: true)
    }
    s += yAxis(f, top: top) { String(format: "%.0f%%", $0) }
    func x(_ i: Int) -> Double { points.count == 1 ? f.x(0.5) : f.x(0.08 + 0.88 * Double(i) / Double(points.count - 1)) }
    if let median = median(values) {
      let y = f.y(median / top)
      s += "<line x1=\"\(f.left)\" y1=\"\(c(y))\" x2=\"\(f.right)\" y2=\"\(c(y))\" stroke=\"\(Palette.muted)\" stroke-width=\"2\" stroke-dasharray=\"6 4\"></line>"
    }
    var path = ""
    for (i, p) in points.enumerated() {
      guard let v = p.value else { continue }
      path += (path.isEmpty ? "M" : "L") + "\(c(x(i))) \(c(f.y(v / top)))"
    }
    if !path.isEmpty {
      s += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(Palette.accent)\" stroke-width=\"3\"></path>"
    }
    // Values above the points when they fit; the first and last dates below the axis (all when few).
    let labelEvery = points.count <= 6
    for (i, p) in points.enumerated() {
      if let v = p.value {
        s += "<circle cx=\"\(c(x(i)))\" cy=\"\(c(f.y(v / top)))\" r=\"5\" fill=\"\(Palette.accent)\" stroke=\"#ffffff\" stroke-width=\"2\"></circle>"
        if labelEvery || i == points.count - 1 {
          s += text(Int(x(i).rounded()), Int(f.y(v / top).rounded()) - 10, percentText(v), anchor: "middle", bold: i == points.count - 1)
        }
      }
      if labelEvery || i == 0 || i == points.count - 1 {
        let anchor = points.count == 1 ? "middle" : i == 0 ? "start" : i == points.count - 1 ? "end" : "middle"
        s += text(Int(x(i).rounded()), f.bottom + 22, p.label, anchor: anchor)
      }
    }
    s += "</svg>"
    let words = points.map { "\($0.label) \($0.value.map(percentText) ?? "no patients in surveillance")" }
    let caption = "\(title): " + words.joined(separator: "; ") + (median(values).map { "; median \(percentText($0))" } ?? "") + "."
    return figure(s, caption: caption)
  }

  /// A round axis end above `n` (so the largest unit is not drawn on the edge): 10, 15, 20, 25, 30, … 150, 200, …
  static func niceCeiling(_ n: Int) -> Int {
    var step = 5
    while n >= step * 10 { step *= 10 }
    return (n / step + 1) * step
  }

  static func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let v = values.sorted()
    return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
  }

  /// A funnel plot of one kind of unit: each unit's proportion with a
  /// missed follow-up against its number of patients, the target, and the
  /// 95 % and 99.8 % control limits traced over n. Units within the limits
  /// are small circles drawn as one path (thousands of consultants stay a
  /// few hundred kilobytes); alerts are triangles, alarms filled squares.
  package static func funnelPlot(id: String, title: String, comparison u: UnitComparison) -> String {
    let f = Frame()
    let height = f.bottom + 48
    let maxN = niceCeiling(u.units.map(\.n).max() ?? 1)
    // The y axis reaches past the highest point and the 95 % limit at the smallest n shown.
    let smallest = max(u.units.map(\.n).min() ?? 1, 1)
    let reach = max(
      u.units.map(\.proportion).max() ?? 0, FunnelLimits(n: max(smallest, 5), p0: u.target).upper998, u.target * 1.5, 0.01)
    let top = percentTop([reach * 100]) / 100
    var s = open(id: id, title: title, height: height + 26)
    s += "<line x1=\"0\" y1=\"12\" x2=\"24\" y2=\"12\" stroke=\"\(Palette.accent)\" stroke-width=\"2\"></line>"
      + text(30, 18, "target")
      + "<line x1=\"96\" y1=\"12\" x2=\"120\" y2=\"12\" stroke=\"\(Palette.muted)\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"></line>"
      + text(126, 18, "95%")
      + "<line x1=\"176\" y1=\"12\" x2=\"200\" y2=\"12\" stroke=\"\(Palette.muted)\" stroke-width=\"1.5\"></line>"
      + text(206, 18, "99.8% limits")
    s += yAxis(f, top: top * 100) { String(format: "%.0f%%", $0) }
    func x(_ n: Double) -> Double { f.x(n / Double(maxN)) }
    func y(_ p: Double) -> Double { f.y(min(max(p, 0), top) / top) }
    // x axis: 0, the middle and the largest n.
    s += "<line x1=\"\(f.left)\" y1=\"\(f.bottom)\" x2=\"\(f.right)\" y2=\"\(f.bottom)\" stroke=\"\(Palette.ink)\" stroke-width=\"1\"></line>"
    s += text(f.left, f.bottom + 22, "0", anchor: "middle")
    s += text(Int(f.x(0.5).rounded()), f.bottom + 22, String(maxN / 2), anchor: "middle")
    s += text(f.right, f.bottom + 22, String(maxN), anchor: "end")
    s += text(Int(f.x(0.5).rounded()), f.bottom + 44, "patients in surveillance (n)", anchor: "middle")
    // Limits traced at ~60 values of n (FunnelLimitTable caches each n).
    var table = FunnelLimitTable(p0: u.target)
    let ns = Array(Set((0...60).map { max(1, Int((Double(maxN) * Double($0) / 60).rounded())) })).sorted()
    let limits = ns.map { ($0, table.limits(n: $0)) }
    for (keyPath, dashed) in [
      (\FunnelLimits.lower998, false), (\FunnelLimits.upper998, false), (\FunnelLimits.lower95, true),
      (\FunnelLimits.upper95, true),
    ] {
      let d = limits.enumerated().map { i, l in "\(i == 0 ? "M" : "L")\(c(x(Double(l.0)))) \(c(y(l.1[keyPath: keyPath])))" }.joined()
      s += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(Palette.muted)\" stroke-width=\"1.5\"\(dashed ? " stroke-dasharray=\"5 4\"" : "")></path>"
    }
    s += "<line x1=\"\(f.left)\" y1=\"\(c(y(u.target)))\" x2=\"\(f.right)\" y2=\"\(c(y(u.target)))\" stroke=\"\(Palette.accent)\" stroke-width=\"2\"></line>"
    var within = ""
    var marks = ""
    for unit in u.units {
      let px = x(Double(unit.n))
      let py = y(unit.proportion)
      switch unit.status {
      case FunnelStatus.alarm.rawValue:
        marks += "<rect x=\"\(c(px - 5))\" y=\"\(c(py - 5))\" width=\"10\" height=\"10\" fill=\"\(Palette.overdue)\"></rect>"
      case FunnelStatus.alert.rawValue:
        marks += "<path d=\"M\(c(px)) \(c(py - 6))l6 10h-12z\" fill=\"#ffffff\" stroke=\"\(Palette.overdue)\" stroke-width=\"2\"></path>"
      default:
        within += "M\(c(px - 3)) \(c(py))a3 3 0 1 0 6 0a3 3 0 1 0 -6 0"
      }
    }
    if !within.isEmpty {
      s += "<path d=\"\(within)\" fill=\"none\" stroke=\"\(Palette.ink)\" stroke-width=\"1.2\"></path>"
    }
    s += marks
    s += "</svg>"
    let alarms = u.units.filter { $0.status == FunnelStatus.alarm.rawValue }.count
    let alerts = u.units.filter { $0.status == FunnelStatus.alert.rawValue }.count
    let caption =
      "\(title): \(u.units.count) unit\(u.units.count == 1 ? "" : "s"), target \(percentText(u.target * 100)); \(alarms) above the 99.8% limit (alarm, filled squares), "
      + "\(alerts) above the 95% limit only (alert, triangles); the others are circles."
    return figure(s, caption: caption)
  }
}
