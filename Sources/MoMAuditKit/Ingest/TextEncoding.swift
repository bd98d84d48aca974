import Crypto
import Foundation

/// How a file's bytes become text (registry-export.md, "text").
package enum TextEncoding: String, Sendable, CaseIterable {
  case utf8 = "utf-8"
  case windows1252 = "cp1252"

  /// Windows-1252 bytes 0x80–0x9F; 0 marks the five undefined bytes.
  static let cp1252High: [UInt32] = [
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,
    0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
    0x0153, 0, 0x017E, 0x0178,
  ]

  static func isUndefinedInCP1252(_ b: UInt8) -> Bool { b >= 0x80 && b <= 0x9F && cp1252High[Int(b - 0x80)] == 0 }

  /// Decodes bytes already known to be valid in this encoding.
  package func decode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    switch self {
    case .utf8:
      return String(decoding: bytes, as: UTF8.self)
    case .windows1252:
      if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
      var s = String.UnicodeScalarView()
      for b in bytes {
        let v: UInt32 = (b >= 0x80 && b <= 0x9F) ? TextEncoding.cp1252High[Int(b - 0x80)] : UInt32(b)
        s.append(Unicode.Scalar(v) ?? "\u{FFFD}")
      }
      return String(s)
    }
  }
}

/// What one streaming pass over a file learns before it is parsed: its
/// content hash (files are identified by it), its size, and its encoding.
package struct FileScan: Sendable {
  package var sha256: String
  package var size: Int
  package var validUTF8: Bool
  package var hasUTF8BOM: Bool
  package var hasCP1252UndefinedBytes: Bool
  package var looksLikeUTF16: Bool
  /// First byte that is not ASCII whitespace (after a UTF-8 BOM), if any.
  package var firstSignificantByte: UInt8?
  package var containsDoctypeOrEntity: Bool

  package static func scan(path: String) throws -> FileScan {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw IngestError.inputMissing(path: path) }
    defer { close(fd) }
    // One pass in 1 MiB chunks read into one buffer. Every check skips
    // ASCII eight bytes at a time and the markers are found with memchr:
    // this pass is serial before a file's load, so its speed counts (issue 5).
    let capacity = 1 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
    defer { buffer.deallocate() }
    var hasher = SHA256()
    var size = 0
    var text = TextScanner()
    var head: [UInt8] = []
    var first: UInt8? = nil
    var doctype = MarkerScanner(markers: ["<!DOCTYPE", "<!ENTITY"])
    while true {
      let n = read(fd, buffer.baseAddress, capacity)
      if n < 0 {
        if errno == EINTR { continue }
        throw IngestError.inputMissing(path: path)
      }
      if n == 0 { break }
      let buf = UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n)
      hasher.update(bufferPointer: UnsafeRawBufferPointer(buf))
      if head.count < 4 { head.append(contentsOf: buf.prefix(4 - head.count)) }
      text.feed(buf)
      doctype.feed(buf)
      if first == nil {
        var start = size == 0 && buf.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while start < buf.count, [0x20, 0x09, 0x0A, 0x0D].contains(buf[start]) { start += 1 }
        if start < buf.count { first = buf[start] }
      }
      size += n
    }
    let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
    let bom16 = head.starts(with: [0xFE, 0xFF]) || head.starts(with: [0xFF, 0xFE])
    let nulPattern = head.count >= 4 && ((head[1] == 0 && head[3] == 0) || (head[0] == 0 && head[2] == 0))
    return FileScan(
      sha256: digest, size: size, validUTF8: text.validUTF8, hasUTF8BOM: head.starts(with: [0xEF, 0xBB, 0xBF]),
      hasCP1252UndefinedBytes: text.undefinedInCP1252, looksLikeUTF16: bom16 || nulPattern, firstSignificantByte: first,
      containsDoctypeOrEntity: doctype.found)
  }

  /// Chooses the encoding: UTF-8 when valid (unless cp1252 is forced), else
  /// Windows-1252 when every byte is defined there.
  package func chooseEncoding(forced: TextEncoding?, path: String) throws -> TextEncoding {
    if looksLikeUTF16 {
      throw IngestError.fileRefused(path: path, reason: "the file is UTF-16, which is not supported; save it as UTF-8")
    }
    if forced == .utf8 {
      guard validUTF8 else {
        throw IngestError.fileRefused(path: path, reason: "the file is not valid UTF-8 (--encoding utf-8 was given)")
      }
      return .utf8
    }
    if forced == nil && validUTF8 { return .utf8 }
    guard !hasCP1252UndefinedBytes else {
      throw IngestError.fileRefused(
        path: path, reason: "the file is neither valid UTF-8 nor Windows-1252 (it has bytes undefined in Windows-1252)")
    }
    return .windows1252
  }
}

/// Streaming UTF-8 validator (rejects overlongs, surrogates, > U+10FFFF).
struct UTF8Validator {
  private var remaining = 0
  private var lower: UInt8 = 0x80
  private var upper: UInt8 = 0xBF
  private var valid = true

  /// No multi-byte sequence is open: an ASCII byte now is valid alone.
  var idle: Bool { remaining == 0 }

  mutating func feed(_ buf: UnsafeBufferPointer<UInt8>) {
    for b in buf { feed(byte: b) }
  }

  @inline(__always) mutating func feed(byte b: UInt8) {
    guard valid else { return }
    if remaining == 0 {
      switch b {
      case 0x00...0x7F: return
      case 0xC2...0xDF: remaining = 1; lower = 0x80; upper = 0xBF
      case 0xE0: remaining = 2; lower = 0xA0; upper = 0xBF
      case 0xE1...0xEC, 0xEE...0xEF: remaining = 2; lower = 0x80; upper = 0xBF
      case 0xED: remaining = 2; lower = 0x80; upper = 0x9F
      case 0xF0: remaining = 3; lower = 0x90; upper = 0xBF
      case 0xF1...0xF3: remaining = 3; lower = 0x80; upper = 0xBF
      case 0xF4: remaining = 3; lower = 0x80; upper = 0x8F
      default: valid = false
      }
    } else {
      guard b >= lower, b <= upper else {
        valid = false
        return
      }
      remaining -= 1
      lower = 0x80
      upper = 0xBF
    }
  }

  func finish() -> Bool { valid && remaining == 0 }
}

/// The encoding facts of a byte stream fed in chunks: valid UTF-8, and any
/// byte undefined in Windows-1252. Runs of ASCII (the usual case) are
/// skipped eight bytes at a time; other bytes go through `UTF8Validator`
/// one by one, as every byte would.
struct TextScanner {
  private var utf8 = UTF8Validator()
  private(set) var undefinedInCP1252 = false

  var validUTF8: Bool { utf8.finish() }

  mutating func feed(_ buf: UnsafeBufferPointer<UInt8>) {
    guard let base = buf.baseAddress else { return }
    let count = buf.count
    var i = 0
    while i < count {
      // A whole word of ASCII when no multi-byte sequence is open.
      if utf8.idle, i + 8 <= count,
        UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0
      {
        i += 8
        continue
      }
      let b = base[i]
      if TextEncoding.isUndefinedInCP1252(b) { undefinedInCP1252 = true }
      utf8.feed(byte: b)
      i += 1
    }
  }
}

/// Finds any of a few ASCII markers in a byte stream split into chunks.
struct MarkerScanner {
  let markers: [[UInt8]]
  private var tail: [UInt8] = []
  private(set) var found = false

  /// Every marker is at least two bytes long.
  init(markers: [String]) {
    self.markers = markers.map { Array($0.utf8) }
    precondition(self.markers.allSatisfy { $0.count >= 2 })
  }

  mutating func feed(_ buf: UnsafeBufferPointer<UInt8>) {
    guard !found else { return }
    var window = tail
    window.append(contentsOf: buf.prefix(16))
    let longest = markers.map(\.count).max() ?? 0
    for m in markers where Self.contains(window, m) || Self.find(m, in: buf) {
      found = true
      return
    }
    // The last bytes seen, across chunks shorter than a marker too.
    if buf.count >= longest - 1 {
      tail = Array(buf.suffix(longest - 1))
    } else {
      tail = Array((tail + buf).suffix(longest - 1))
    }
  }

  /// Whether `needle` occurs in `hay`: memchr for its second byte (in XML
  /// `!` is rare where `<` is everywhere), then a comparison around each hit.
  static func find(_ needle: [UInt8], in hay: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let base = hay.baseAddress, hay.count >= needle.count else { return false }
    let end = base + hay.count
    var p = base + 1
    while p < end, let hit = memchr(p, Int32(needle[1]), end - p) {
      let at = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - 1  // where the needle would start
      if end - at >= needle.count, needle.withUnsafeBufferPointer({ memcmp(at, $0.baseAddress!, $0.count) }) == 0 {
        return true
      }
      p = at + 2
    }
    return false
  }

  static func contains<C: Collection>(_ hay: C, _ needle: [UInt8]) -> Bool where C.Element == UInt8, C.Index == Int {
    guard hay.count >= needle.count, let first = needle.first else { return false }
    var i = hay.startIndex
    let last = hay.endIndex - needle.count
    while i <= last {
      if hay[i] == first {
        var j = 1
        while j < needle.count, hay[i + j] == needle[j] { j += 1 }
        if j == needle.count { return true }
      }
      i += 1
    }
    return false
  }
}
