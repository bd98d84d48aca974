import Foundation
import Testing

/// Replays the fuzz seed corpus and every crash input found by `make fuzz`
/// (Fuzz/regressions) through the fuzz entry point, in a normal build.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
  @Test("every seed and saved crash input runs without a crash", arguments: ["csv", "xml", "values"])
  func replay(_ target: String) throws {
    let fuzz = Paths.packageRoot.appendingPathComponent("Fuzz")
    let r = try Executables.run(
      "momaudit-fuzz",
      [target, fuzz.appendingPathComponent("corpus/\(target)").path, fuzz.appendingPathComponent("regressions/\(target)").path])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.hasPrefix("\(target): "))
    #expect(!r.stdout.hasPrefix("\(target): 0 inputs"))
  }
}
