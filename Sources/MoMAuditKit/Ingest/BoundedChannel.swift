import Foundation

/// A bounded FIFO between a producing thread and a consuming thread: the
/// producer blocks when `depth` items wait, so memory stays flat; the
/// consumer blocks when none do. The producer ends it with its result (or
/// error), the consumer can cancel it (the producer's next `put` fails).
/// Both sides record how long they waited, for the debug log.
final class BoundedChannel<Item, Outcome>: @unchecked Sendable {
  private let condition = NSCondition()
  private var items: [Item?] = []
  private var head = 0
  private var outcome: Result<Outcome, any Error>? = nil
  private var cancelled = false
  private let depth: Int
  private(set) var producerWaited = 0.0
  private(set) var consumerWaited = 0.0

  init(depth: Int) { self.depth = depth }

  /// Blocks while the queue is full. Returns false when the consumer has stopped.
  func put(_ item: Item) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    if items.count - head >= depth, !cancelled {
      let t = monotonicTime()
      while items.count - head >= depth, !cancelled { condition.wait() }
      producerWaited += monotonicTime() - t
    }
    if cancelled { return false }
    items.append(item)
    condition.broadcast()
    return true
  }

  /// Items waiting now (a hint for the producer: the consumer is behind).
  var queued: Int {
    condition.lock()
    defer { condition.unlock() }
    return items.count - head
  }

  /// The next item; nil when the producer has finished (successfully or not).
  func take() -> Item? {
    condition.lock()
    defer { condition.unlock() }
    if items.count == head, outcome == nil {
      let t = monotonicTime()
      while items.count == head, outcome == nil { condition.wait() }
      consumerWaited += monotonicTime() - t
    }
    guard items.count > head else { return nil }
    let item = items[head]
    items[head] = nil
    head += 1
    if head == items.count {
      items.removeAll(keepingCapacity: true)
      head = 0
    }
    condition.broadcast()
    return item
  }

  func finish(_ result: Result<Outcome, any Error>) {
    condition.lock()
    outcome = result
    condition.broadcast()
    condition.unlock()
  }

  /// The producer's result, once `take` has returned nil.
  func result() throws -> Outcome {
    condition.lock()
    defer { condition.unlock() }
    return try outcome!.get()
  }

  func cancel() {
    condition.lock()
    cancelled = true
    condition.broadcast()
    condition.unlock()
  }

  /// Runs `produce` on a new thread (named `name` for profilers) and
  /// `consume` on this one for each item, in order. The producer's error is
  /// thrown after the items before it were consumed; an error of `consume`
  /// cancels the producer. Returns when the producer thread has ended.
  static func run(
    name: String, depth: Int, produce: @escaping @Sendable (BoundedChannel) throws -> Outcome,
    consume: (Item) throws -> Void
  ) throws -> (Outcome, BoundedChannel) {
    let channel = BoundedChannel(depth: depth)
    let ended = DispatchSemaphore(value: 0)
    let thread = Thread {
      defer { ended.signal() }
      #if os(Linux)
        if let fh = FileHandle(forWritingAtPath: "/proc/thread-self/comm") {
          fh.write(Data(name.utf8))
          try? fh.close()
        }
      #endif
      do {
        channel.finish(.success(try produce(channel)))
      } catch {
        channel.finish(.failure(error))
      }
    }
    thread.stackSize = 8 << 20
    thread.start()
    defer {
      channel.cancel()
      ended.wait()
    }
    while let item = channel.take() {
      try consume(item)
    }
    return (try channel.result(), channel)
  }
}

/// Thrown by a producer whose consumer has stopped.
struct ChannelCancelled: Error {}
