/// Errors that stop a stage. Each maps to one exit code of outputs.md and
/// prints as `error: <what>` then `hint: <how to fix>`. Messages are lowercase
/// facts and never carry patient data.
package enum IngestError: Error, Equatable, Sendable {
  /// 66: an input path does not exist or cannot be opened.
  case inputMissing(path: String)
  /// 65: a whole file is unusable (its other files still load).
  case fileRefused(path: String, reason: String)
}

package enum AuditError: Error, Equatable, Sendable {
  case usage(String)
  case inputMissing(path: String)
  case dataUnusable(String)
  case cannotWrite(path: String, reason: String)
  case locked(path: String, holder: String)
  case noCheckRun(db: String)
  case database(path: String, reason: String)

  /// The exit code of outputs.md (sysexits.h values).
  package var exitCode: Int32 {
    switch self {
    case .usage: return 64
    case .dataUnusable: return 65
    case .inputMissing, .noCheckRun: return 66
    case .cannotWrite, .database: return 73
    case .locked: return 75
    }
  }

  package var message: String {
    switch self {
    case .usage(let m): return m
    case .inputMissing(let p): return "input not found: \(p)"
    case .dataUnusable(let m): return m
    case .cannotWrite(let p, let r): return "cannot write \(p): \(r)"
    case .locked(let p, let h): return "database \(p) is locked by another run (\(h))"
    case .noCheckRun(let db): return "no check run in \(db)"
    case .database(let p, let r): return "database \(p): \(r)"
    }
  }

  package var hint: String {
    switch self {
    case .usage: return "run with --help to see the options"
    case .inputMissing: return "check the path; a folder contributes its *.csv and *.xml files"
    case .dataUnusable: return "see the refused files above; fix or remove them and run again (the other files were loaded)"
    case .cannotWrite: return "check the folder exists or can be created, is writable, and the disk has space"
    case .locked: return "wait for that run to finish; a lock left by a dead process is released automatically"
    case .noCheckRun: return "run momaudit-check first"
    case .database: return "check the database path and that the disk has space"
    }
  }
}
