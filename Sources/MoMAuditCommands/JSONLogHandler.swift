import Foundation
import Logging

/// `--log-format json`: one JSON object per log line on standard error, for a
/// log collector (journald, Loki, Splunk): `time` (ISO 8601, UTC), `level`,
/// `command`, `message`, then the line's metadata as string fields in key
/// order. The metadata are what the text format prints after the message:
/// paths, counts and codes, never patient data (outputs.md).
struct JSONLogHandler: LogHandler {
  let command: String
  var logLevel: Logger.Level = .info
  var metadata: Logger.Metadata = [:]

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  static let reserved: Set<String> = ["time", "level", "command", "message"]

  func log(event: LogEvent) {
    let (level, message) = (event.level, event.message)
    let all = metadata.merging(event.metadata ?? [:]) { $1 }
    var fields: [(String, String)] = [
      ("time", Self.timestamp()), ("level", level.rawValue), ("command", command), ("message", message.description),
    ]
    for key in all.keys.sorted() {
      fields.append((Self.reserved.contains(key) ? "meta_" + key : key, all[key]!.description))
    }
    let text = "{" + fields.map { Self.quoted($0.0) + ":" + Self.quoted($0.1) }.joined(separator: ",") + "}\n"
    FileHandle.standardError.write(Data(text.utf8))
  }

  static func timestamp() -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: Date())
  }

  /// A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped.
  static func quoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
      default: out.unicodeScalars.append(u)
      }
    }
    return out + "\""
  }
}
