import Foundation

/// A trust's sources manifest: one entry per system that sends exports,
/// with its files, its profile and whether each delivery is a complete
/// snapshot. TOML (`.toml`) or JSON, paths relative to the manifest:
///
///     [[source]]
///     name = "lims"                       # unique, stable across deliveries
///     path = "exports/lims-metal-ions.txt" # a file (any extension) or a folder (*.csv, *.xml)
///     profile = "profiles/lims.toml"      # optional
///     cumulative = true                   # optional, default false
///     max_withdraw_percent = 5            # optional, default 5
///
/// Unknown keys, duplicate names and bad values are refused (exit 64) with
/// their key path; a missing path or profile exits 66. Everything is checked
/// before anything loads.
package struct SourcesManifest: Sendable, Equatable {
  package struct Source: Sendable, Equatable {
    package var name: String
    /// Absolute (resolved against the manifest's folder).
    package var path: String
    package var profilePath: String?
    package var profile: Profile
    package var cumulative: Bool
    package var maxWithdrawPercent: Double
  }

  package var path: String
  package var sources: [Source]

  static let knownKeys = ["name", "path", "profile", "cumulative", "max_withdraw_percent"]

  package static func load(path: String) throws -> SourcesManifest {
    try parse(StructuredFile.load(path: path, what: "sources manifest"), path: path)
  }

  package static func parse(_ object: Any, path: String) throws -> SourcesManifest {
    func fail(_ keyPath: String, _ what: String) -> AuditError {
      AuditError.usage("sources manifest \(path): \(keyPath): \(what)")
    }
    guard let top = object as? [String: Any] else {
      throw fail("(top level)", "must be a table, not \(StructuredFile.kindName(object))")
    }
    for key in top.keys.sorted() where key != "source" {
      throw fail(StructuredFile.key(key), "unknown key (known: source)")
    }
    guard let list = top["source"] else { throw fail("source", "no [[source]] entries") }
    guard let entries = list as? [Any], !entries.isEmpty else {
      throw fail("source", "must be an array of tables ([[source]]), not \(StructuredFile.kindName(list))")
    }
    let folder = ((path as NSString).deletingLastPathComponent as NSString)
    func resolve(_ p: String) -> String {
      (p as NSString).isAbsolutePath ? p : folder.appendingPathComponent(p)
    }
    var sources: [Source] = []
    var names: [String: Int] = [:]
    for (i, entry) in entries.enumerated() {
      let at = "source[\(i)]"
      guard let table = entry as? [String: Any] else {
        throw fail(at, "must be a table, not \(StructuredFile.kindName(entry))")
      }
      for key in table.keys.sorted() where !knownKeys.contains(key) {
        throw fail("\(at).\(StructuredFile.key(key))", "unknown key (known: \(knownKeys.joined(separator: ", ")))")
      }
      func string(_ key: String, required: Bool) throws -> String? {
        guard let v = table[key] else {
          if required { throw fail("\(at).\(key)", "is required") }
          return nil
        }
        guard let s = v as? String, !s.trimmingCharacters(in: .whitespaces).isEmpty else {
          throw fail("\(at).\(key)", "must be a non-empty string, not \(StructuredFile.kindName(v))")
        }
        return s
      }
      let name = try string("name", required: true)!
      if let first = names[name] {
        throw fail("\(at).name", "\"\(name)\" is already the name of source[\(first)]; names must be unique")
      }
      names[name] = i
      let sourcePath = resolve(try string("path", required: true)!)
      var cumulative = false
      if let v = table["cumulative"] {
        guard StructuredFile.isBoolean(v), let b = v as? Bool else {
          throw fail("\(at).cumulative", "must be true or false, not \(StructuredFile.kindName(v))")
        }
        cumulative = b
      }
      var maxWithdraw = 5.0
      if let v = table["max_withdraw_percent"] {
        guard let n = StructuredFile.number(v), n >= 0, n <= 100 else {
          throw fail("\(at).max_withdraw_percent", "must be a number from 0 to 100")
        }
        maxWithdraw = n
      }
      var profilePath: String? = nil
      if let p = try string("profile", required: false) { profilePath = resolve(p) }
      sources.append(
        Source(
          name: name, path: sourcePath, profilePath: profilePath, profile: Profile(), cumulative: cumulative,
          maxWithdrawPercent: maxWithdraw))
    }
    // Every path first (exit 66 before anything loads), then the profiles.
    for s in sources where !FileManager.default.fileExists(atPath: s.path) {
      throw AuditError.inputMissing(path: s.path)
    }
    for i in sources.indices {
      guard let p = sources[i].profilePath else { continue }
      let profile = try Profile.load(path: p)
      if !profile.parameters.isEmpty {
        throw AuditError.usage(
          "profile \(p): parameters: belong to the check profile given with --profile, not to a source's profile")
      }
      sources[i].profile = profile
    }
    return SourcesManifest(path: path, sources: sources)
  }
}
