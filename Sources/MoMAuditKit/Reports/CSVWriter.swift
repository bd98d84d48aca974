import Foundation

/// RFC 4180 output: comma separator, `\r\n` line ends, fields quoted when
/// they hold a comma, quote or line end. A cell that begins with `=`, `+`,
/// `-`, `@`, tab or carriage return gets a leading single quote so that a
/// spreadsheet never runs it as a formula (outputs.md).
package struct CSVWriter {
  package private(set) var text = ""

  package init(header: [String]) { appendRow(header) }

  package mutating func appendRow(_ cells: [String?]) { text += CSVWriter.line(cells) }

  /// One record: the cells, made safe, then `\r\n`.
  package static func line(_ cells: [String?]) -> String {
    cells.map { cell($0 ?? "") }.joined(separator: ",") + "\r\n"
  }

  package static func neutralise(_ value: String) -> String {
    guard let first = value.unicodeScalars.first else { return value }
    switch first {
    case "=", "+", "-", "@", "\t", "\r": return "'" + value
    default: return value
    }
  }

  package static func cell(_ raw: String) -> String {
    let v = neutralise(raw)
    // On bytes: a comma, quote, CR or LF byte is always that character
    // (UTF-8), and CR LF is the only grapheme holding one with another.
    if v.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
      return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return v
  }
}
