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
    var bytes: [UInt8] = []
    appendLine(cells, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// One record's bytes appended to `out`: written on bytes, without a
  /// string per cell (the report streams ~300 k records at national scale,
  /// issue 14). A cell that begins with a formula character gets `'`; one
  /// that holds a comma, quote, CR or LF is quoted, its quotes doubled.
  /// Every one of those characters is ASCII, so in UTF-8 its byte is never
  /// part of another character.
  package static func appendLine(_ cells: [String?], to out: inout [UInt8]) {
    for (i, cell) in cells.enumerated() {
      if i > 0 { out.append(comma) }
      guard var text = cell, !text.isEmpty else { continue }
      text.withUTF8 { appendCell($0, to: &out) }
    }
    out.append(0x0D)
    out.append(0x0A)
  }

  private static let comma: UInt8 = 0x2C
  private static let quote: UInt8 = 0x22

  /// `=`, `+`, `-`, `@`, tab, CR.
  @inline(__always) private static func isFormulaStart(_ b: UInt8) -> Bool {
    switch b {
    case 0x3D, 0x2B, 0x2D, 0x40, 0x09, 0x0D: return true
    default: return false
    }
  }

  private static func appendCell(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    let quoted = bytes.contains { (b: UInt8) -> Bool in
      switch b {
      case comma, quote, 0x0A, 0x0D: return true
      default: return false
      }
    }
    if quoted { out.append(quote) }
    if let first = bytes.first, isFormulaStart(first) { out.append(0x27) }
    if quoted {
      for b in bytes {
        if b == quote { out.append(quote) }
        out.append(b)
      }
      out.append(quote)
    } else {
      out.append(contentsOf: bytes)
    }
  }

  package static func neutralise(_ value: String) -> String {
    guard let first = value.utf8.first, isFormulaStart(first) else { return value }
    return "'" + value
  }

  package static func cell(_ raw: String) -> String {
    var bytes: [UInt8] = []
    var text = raw
    text.withUTF8 { appendCell($0, to: &bytes) }
    return String(decoding: bytes, as: UTF8.self)
  }
}
