import Foundation

/// Deterministic crash points for the crash-safety tests: with
/// `MOMAUDIT_FAULT_KILL_AFTER=ingest-row=1200` (or `check-patient=N`) the
/// process sends itself SIGKILL when that point is reached for the Nth time.
/// Unset in production, where each point costs one dictionary lookup per
/// file or run (the counters are resolved once).
package enum FaultInjection {
  package enum Point: String, Sendable { case ingestRow = "ingest-row", checkPatient = "check-patient", withdrawRecord = "withdraw-record" }

  private static let limits: [String: Int] = {
    guard let spec = ProcessInfo.processInfo.environment["MOMAUDIT_FAULT_KILL_AFTER"] else { return [:] }
    var out: [String: Int] = [:]
    for part in spec.split(separator: ",") {
      let kv = part.split(separator: "=")
      if kv.count == 2, let n = Int(kv[1]) { out[String(kv[0])] = n }
    }
    return out
  }()

  /// The limit for a point, or nil (the common case): callers keep a local counter.
  package static func limit(_ point: Point) -> Int? { limits[point.rawValue] }

  nonisolated(unsafe) private static var counters: [String: Int] = [:]

  /// Counts one pass of `point` (stages are single-threaded) and kills the
  /// process when its limit is reached.
  package static func tick(_ point: Point) {
    guard let limit = limits[point.rawValue] else { return }
    let n = counters[point.rawValue, default: 0] + 1
    counters[point.rawValue] = n
    if n >= limit { kill() }
  }

  package static func kill() -> Never {
    Foundation.kill(getpid(), SIGKILL)
    fatalError("unreachable")
  }
}
