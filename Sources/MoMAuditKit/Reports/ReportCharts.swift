import Foundation

/// Inline SVG charts for report.html. Every chart is a `<figure>` whose SVG has
/// a title (role img), a legend in words, numbers written beside every bar and
/// a pattern as well as a colour for "overdue", and whose `<figcaption>` says
/// the same in a sentence; the data table follows each figure in the report.
package enum ReportCharts {
  /// Narrow enough that the text stays readable when a phone scales the chart down.
  static let width = 480
  static let barWidth = 480
  static let fontSize = 16
  static let rowHeight = 50

  /// A row's label on the left and its figure on the right, the label cut to fit.
  static func labelLine(_ y: Int, _ label: String, _ value: String, bold: Bool = false) -> String {
    let room = max(10, Int((Double(width) - Double(value.count) * 8 - 16) / 8))
    return text(0, y + 16, clip(label, room)) + text(width, y + 16, value, anchor: "end", bold: bold)
  }

  /// A bar of a compliance chart: how many the requirement applies to, how many are overdue.
  package struct Compliance: Sendable, Equatable {
    package var label: String
    package var inScope: Int
    package var overdue: Int
    /// "patients" or "implants".
    package var unit: String
  }

  /// "30%", "<1%" for a small non-zero share, ">99%" for nearly all.
  package static func percent(_ part: Int, of whole: Int) -> String {
    guard whole > 0 else { return "–" }
    let p = Double(part) * 100 / Double(whole)
    if part > 0 && p < 1 { return "<1%" }
    if part < whole && p > 99 { return ">99%" }
    return "\(Int(p.rounded()))%"
  }

  static func e(_ s: String) -> String { htmlEscape(s) }

  /// Long labels are cut in the chart (the table has them whole).
  static func clip(_ s: String, _ n: Int = 64) -> String { s.count > n ? String(s.prefix(n - 1)) + "…" : s }

  static func open(id: String, title: String, height: Int) -> String {
    """
    <svg role="img" aria-labelledby="\(id)-title" viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)" \
    class="chart" xmlns="http://www.w3.org/2000/svg"><title id="\(id)-title">\(e(title))</title>\
    <defs><pattern id="\(id)-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">\
    <rect width="6" height="6" fill="\(Palette.overdue)"></rect><rect width="2" height="6" fill="#ffffff"></rect></pattern>\
    <pattern id="\(id)-grey" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">\
    <rect width="6" height="6" fill="\(Palette.excluded)"></rect><rect width="2" height="6" fill="#ffffff"></rect></pattern></defs>
    """
  }

  static func text(_ x: Int, _ y: Int, _ s: String, anchor: String? = nil, bold: Bool = false) -> String {
    let a = anchor.map { " text-anchor=\"\($0)\"" } ?? ""
    let w = bold ? " font-weight=\"600\"" : ""
    return "<text x=\"\(x)\" y=\"\(y)\" font-size=\"\(fontSize)\" fill=\"\(Palette.ink)\"\(a)\(w)>\(e(s))</text>"
  }

  static func rect(_ x: Int, _ y: Int, _ w: Int, _ h: Int, fill: String, stroke: Bool = false) -> String {
    let s = stroke ? " stroke=\"\(Palette.ink)\" stroke-width=\"1\"" : ""
    return "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(max(w, 0))\" height=\"\(h)\" fill=\"\(fill)\"\(s)></rect>"
  }

  static func legend(id: String, _ items: [(fill: String, label: String)]) -> String {
    var s = ""
    var x = 0
    for item in items {
      s += rect(x, 4, 16, 16, fill: item.fill, stroke: true) + text(x + 22, 18, item.label)
      x += 22 + item.label.count * 9 + 24
    }
    return s
  }

  static func figure(_ svg: String, caption: String) -> String {
    "<figure>\(svg)<figcaption>\(e(caption))</figcaption></figure>\n"
  }

  /// One 100% bar per row: the part not overdue solid, the overdue part hatched,
  /// "n of N overdue (p%)" written beside it.
  package static func compliance(id: String, title: String, rows: [Compliance], more: Int = 0) -> String {
    let top = 32
    let height = top + max(rows.count, 1) * rowHeight + 4
    var s = open(id: id, title: title, height: height)
    s += legend(id: id, [(Palette.accent, "up to date"), ("url(#\(id)-hatch)", "overdue")])
    if rows.isEmpty { s += text(0, top + 20, "Nothing to show.") }
    for (i, r) in rows.enumerated() {
      let y = top + i * rowHeight
      let barY = y + 24
      if r.inScope == 0 {
        s += labelLine(y, r.label, "none in scope")
        s += rect(0, barY, barWidth - 1, 18, fill: "#ffffff", stroke: true)
        continue
      }
      s += labelLine(y, r.label, "\(r.overdue) of \(r.inScope) overdue (\(percent(r.overdue, of: r.inScope)))")
      let overdueWidth = Int((Double(r.overdue) / Double(r.inScope) * Double(barWidth - 1)).rounded())
      let okWidth = barWidth - 1 - overdueWidth
      s += rect(0, barY, okWidth, 18, fill: Palette.accent)
      s += rect(okWidth, barY, overdueWidth, 18, fill: "url(#\(id)-hatch)")
      s += rect(0, barY, barWidth - 1, 18, fill: "none", stroke: true)
    }
    s += "</svg>"
    var caption = title + ": " + rows.map {
      $0.inScope == 0
        ? "\($0.label) none in scope"
        : "\($0.label) \($0.overdue) of \($0.inScope) \($0.unit) overdue (\(percent($0.overdue, of: $0.inScope)))"
    }.joined(separator: "; ")
    if more > 0 { caption += "; \(more) more in the table below" }
    return figure(s, caption: caption + ".")
  }

  /// Plain horizontal bars with their value beside them.
  package static func bars(id: String, title: String, rows: [(label: String, value: Int)], unit: String) -> String {
    let top = 4
    let height = top + max(rows.count, 1) * rowHeight + 4
    let maxValue = max(rows.map(\.value).max() ?? 1, 1)
    var s = open(id: id, title: title, height: height)
    for (i, r) in rows.enumerated() {
      let y = top + i * rowHeight
      s += labelLine(y, r.label, "\(r.value) \(unit)")
      let w = Int((Double(r.value) / Double(maxValue) * Double(barWidth - 1)).rounded())
      s += rect(0, y + 24, w, 18, fill: "url(#\(id)-hatch)", stroke: w > 0)
    }
    s += "</svg>"
    let caption = title + ": " + rows.map { "\($0.label) \($0.value) \(unit)" }.joined(separator: "; ")
    return figure(s, caption: caption + ".")
  }

  /// The cohort funnel: identified, then each exclusion taken away, then in surveillance.
  package static func funnel(
    id: String, title: String, identified: Int, exclusions: [(label: String, value: Int)], remaining: Int
  ) -> String {
    let top = 32
    let rows = exclusions.count + 2
    let height = top + rows * rowHeight + 4
    let scale = Double(barWidth - 1) / Double(max(identified, 1))
    func x(_ v: Int) -> Int { Int((Double(v) * scale).rounded()) }
    var s = open(id: id, title: title, height: height)
    s += legend(id: id, [(Palette.accent, "patients"), ("url(#\(id)-grey)", "excluded")])
    s += labelLine(top, "MoM patients identified", String(identified), bold: true)
    s += rect(0, top + 24, x(identified), 18, fill: Palette.accent, stroke: true)
    var left = identified
    for (i, ex) in exclusions.enumerated() {
      let y = top + (i + 1) * rowHeight
      s += labelLine(y, "excluded: \(ex.label)", "−\(ex.value)")
      let from = x(left - ex.value)
      s += rect(from, y + 24, x(left) - from, 18, fill: "url(#\(id)-grey)", stroke: ex.value > 0)
      left -= ex.value
    }
    let y = top + (exclusions.count + 1) * rowHeight
    s += labelLine(y, "in surveillance", String(remaining), bold: true)
    s += rect(0, y + 24, x(remaining), 18, fill: Palette.accent, stroke: true)
    s += "</svg>"
    let caption = "\(title): \(identified) MoM patients identified; excluded "
      + exclusions.map { "\($0.value) \($0.label)" }.joined(separator: ", ") + "; \(remaining) in surveillance."
    return figure(s, caption: caption)
  }
}

/// The report's colours. Text pairs must reach 4.5:1 and chart fills 3:1
/// against white (WCAG 2.2 AA 1.4.3 and 1.4.11); a test checks every pair.
package enum Palette {
  package static let ink = "#1a1a1a"
  package static let muted = "#4d4d4d"
  package static let accent = "#1d4f91"
  package static let overdue = "#a4262c"
  package static let excluded = "#595959"
  package static let headerBackground = "#e8eef7"
  package static let zebra = "#f4f6f9"
  package static let banner = "#fff4ce"
  package static let focus = "#ffbf47"
  package static let white = "#ffffff"

  /// (foreground, background, minimum ratio).
  package static let pairs: [(String, String, Double)] = [
    (ink, white, 4.5), (muted, white, 4.5), (accent, white, 4.5), (overdue, white, 4.5), (ink, headerBackground, 4.5),
    (accent, headerBackground, 4.5), (ink, zebra, 4.5), (accent, zebra, 4.5), (muted, zebra, 4.5),
    (ink, banner, 4.5), (overdue, banner, 4.5), (ink, focus, 4.5), (excluded, white, 3), (overdue, white, 3),
    (accent, white, 3), (white, accent, 4.5), (muted, headerBackground, 4.5),
  ]

  /// WCAG 2.2 contrast ratio of two `#rrggbb` colours.
  package static func contrast(_ a: String, _ b: String) -> Double {
    func luminance(_ hex: String) -> Double {
      let v = Int(hex.dropFirst(), radix: 16) ?? 0
      func channel(_ c: Int) -> Double {
        let s = Double(c) / 255
        return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
      }
      return 0.2126 * channel(v >> 16 & 0xff) + 0.7152 * channel(v >> 8 & 0xff) + 0.0722 * channel(v & 0xff)
    }
    let (l1, l2) = (luminance(a), luminance(b))
    return (max(l1, l2) + 0.05) / (min(l1, l2) + 0.05)
  }
}
