import Foundation

/// Writes report files atomically (temporary name, then rename) with mode
/// 0640 in a folder of mode 0750, so a reader never sees a half-written file
/// and only the owner and group can read patient data.
package struct ReportWriter {
  package let folder: String

  package init(folder: String) throws {
    self.folder = folder
    let fm = FileManager.default
    var isDir: ObjCBool = false
    if fm.fileExists(atPath: folder, isDirectory: &isDir) {
      guard isDir.boolValue else { throw AuditError.cannotWrite(path: folder, reason: "not a folder") }
    } else {
      do {
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
      } catch {
        throw AuditError.cannotWrite(path: folder, reason: "cannot create the folder")
      }
    }
    _ = chmod(folder, 0o750)
  }

  /// Fails now, with exit 73, when the folder cannot take a file: `run`
  /// calls this before it ingests, so a bad `--out` leaves the database as it was.
  package func probe() throws {
    let temp = (folder as NSString).appendingPathComponent(".probe.tmp-\(getpid())")
    let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
    guard fd >= 0 else { throw AuditError.cannotWrite(path: folder, reason: String(cString: strerror(errno))) }
    close(fd)
    unlink(temp)
  }

  package func write(_ name: String, _ text: String) throws {
    let final = (folder as NSString).appendingPathComponent(name)
    let temp = (folder as NSString).appendingPathComponent(".\(name).tmp-\(getpid())")
    let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
    guard fd >= 0 else { throw AuditError.cannotWrite(path: final, reason: String(cString: strerror(errno))) }
    var ok = true
    var err = ""
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let n = bytes[offset...].withUnsafeBufferPointer { Foundation.write(fd, $0.baseAddress, $0.count) }
      if n <= 0 {
        ok = false
        err = String(cString: strerror(errno))
        break
      }
      offset += n
    }
    if ok && fsync(fd) != 0 {
      ok = false
      err = String(cString: strerror(errno))
    }
    _ = fchmod(fd, 0o640)
    close(fd)
    guard ok else {
      unlink(temp)
      throw AuditError.cannotWrite(path: final, reason: err)
    }
    guard rename(temp, final) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temp)
      throw AuditError.cannotWrite(path: final, reason: reason)
    }
  }
}
