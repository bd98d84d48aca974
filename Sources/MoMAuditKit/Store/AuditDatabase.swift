import Foundation
import GRDB

/// Opens the audit database and brings its schema up to date.
package enum AuditDatabase {
  package static func open(path: String) throws -> DatabaseQueue {
    var config = Configuration()
    config.busyMode = .timeout(5)
    config.label = "momaudit"
    do {
      let dir = (path as NSString).deletingLastPathComponent
      if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
        throw AuditError.cannotWrite(path: path, reason: "folder \(dir) does not exist")
      }
      let queue = try DatabaseQueue(path: path, configuration: config)
      try queue.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA journal_mode = WAL")
        try db.execute(sql: "PRAGMA synchronous = NORMAL")
        try db.execute(sql: "PRAGMA foreign_keys = ON")
      }
      try Schema.migrator.migrate(queue)
      return queue
    } catch let e as AuditError {
      throw e
    } catch let e as DatabaseError {
      throw AuditError.database(path: path, reason: e.message ?? "\(e.resultCode)")
    }
  }

  /// An in-memory database with the schema, for tests.
  package static func inMemory() throws -> DatabaseQueue {
    let queue = try DatabaseQueue()
    try Schema.migrator.migrate(queue)
    return queue
  }
}

/// The single-writer lock of one database: `flock` on `<db>.lock`, which the
/// kernel releases when the holder dies, so a stale lock never blocks cron.
/// The file records who holds it, for the message of a run that is refused.
package final class RunLock {
  private let fd: Int32
  package let path: String

  package init(databasePath: String, command: String) throws {
    path = databasePath + ".lock"
    let fd = Foundation.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
    guard fd >= 0 else {
      throw AuditError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
    }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      var buf = [UInt8](repeating: 0, count: 512)
      let n = pread(fd, &buf, 511, 0)
      let holder = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "unknown holder"
      close(fd)
      throw AuditError.locked(path: databasePath, holder: holder.isEmpty ? "unknown holder" : holder)
    }
    self.fd = fd
    let info = "\(command), pid \(getpid()), started \(ISO8601DateFormatter().string(from: Date()))\n"
    _ = ftruncate(fd, 0)
    _ = info.withCString { pwrite(fd, $0, strlen($0), 0) }
  }

  deinit {
    _ = ftruncate(fd, 0)
    flock(fd, LOCK_UN)
    close(fd)
  }
}
