import Foundation

/// Runs a built executable of this package and captures its output.
struct CommandResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

enum Executables {
  /// The folder holding the built products (beside the test bundle).
  static let folder: URL = {
    var url = Bundle.main.bundleURL
    for _ in 0..<4 {
      if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("momaudit").path) { return url }
      url = url.deletingLastPathComponent()
    }
    return Bundle.main.bundleURL
  }()

  static func run(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    try run(url: folder.appendingPathComponent(name), arguments, environment: environment)
  }

  /// `/bin/sh -c script command arguments…` (the script sees them as $0, $@).
  static func runShell(_ script: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    try run(url: URL(fileURLWithPath: "/bin/sh"), ["-c", script] + arguments, environment: environment)
  }

  static func run(url: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let p = Process()
    p.executableURL = url
    p.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    p.environment = env
    // Output goes to temporary files, so a chatty child never blocks on a pipe.
    let dir = FileManager.default.temporaryDirectory
    let outURL = dir.appendingPathComponent("momaudit-out-\(UUID().uuidString)")
    let errURL = dir.appendingPathComponent("momaudit-err-\(UUID().uuidString)")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
      try? FileManager.default.removeItem(at: outURL)
      try? FileManager.default.removeItem(at: errURL)
    }
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    try out.close()
    try err.close()
    let outData = try Data(contentsOf: outURL)
    let errData = try Data(contentsOf: errURL)
    return CommandResult(
      status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }

  /// Runs a system command, returning its exit status (output discarded).
  static func runSystem(_ path: String, _ arguments: [String]) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
  }
}
