import Foundation

/// Runs `body` on a thread of its own; `wait()` gives its result or error.
final class BackgroundThread: @unchecked Sendable {
  private var result: Result<Void, Error> = .success(())
  private let done = DispatchSemaphore(value: 0)

  init(name: String, _ body: @escaping @Sendable () throws -> Void) {
    let thread = Thread { [self] in
      result = Result { try body() }
      done.signal()
    }
    thread.name = name
    thread.start()
  }

  func wait() throws {
    done.wait()
    try result.get()
  }
}
