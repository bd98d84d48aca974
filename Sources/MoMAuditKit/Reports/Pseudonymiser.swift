import Crypto
import Foundation

/// Replaces NHS numbers in submission.csv with keyed HMAC-SHA256 pseudonyms
/// (lowercase hex), stable for the same key, so a registry can link
/// submissions over time without receiving NHS numbers.
/// `@unchecked Sendable`: the key is set once and only read (the report's
/// CSVs are written on a thread of their own).
package struct Pseudonymiser: @unchecked Sendable {
  let key: SymmetricKey

  package init(keyBytes: [UInt8]) { key = SymmetricKey(data: keyBytes) }

  /// Reads a key file. Refuses one that group or others can read or write,
  /// or one shorter than 16 bytes.
  package init(keyFile path: String) throws {
    var st = stat()
    guard stat(path, &st) == 0, let data = FileManager.default.contents(atPath: path) else {
      throw AuditError.inputMissing(path: path)
    }
    guard st.st_mode & 0o077 == 0 else {
      throw AuditError.usage(
        "key file \(path) has loose permissions (\(String(st.st_mode & 0o777, radix: 8))); chmod 600 it")
    }
    guard data.count >= 16 else { throw AuditError.usage("key file \(path) is shorter than 16 bytes") }
    self.init(keyBytes: Array(data))
  }

  package func pseudonym(_ nhsNumber: String) -> String {
    HMAC<SHA256>.authenticationCode(for: Data(nhsNumber.utf8), using: key).map { String(format: "%02x", $0) }.joined()
  }
}
