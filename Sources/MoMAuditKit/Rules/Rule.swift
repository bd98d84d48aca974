import Foundation

/// What a rule is, for people: the report's "how each finding is decided"
/// and docs/rules.md are generated from these.
package struct RuleDescription: Sendable {
  package enum Level: String, Sendable { case patient, implant }
  package var code: String
  package var section: String
  package var title: String
  package var level: Level
  package var summary: String
  package var source: String
  package var parameters: [ParameterKey]
}

/// A missed follow-up found by a rule.
package struct Finding: Sendable, Equatable {
  package var code: String
  package var nhsNumber: String
  package var procedureId: String
  package var side: Side
  package var group: SurveillanceGroup
  package var due: LocalDate
  package var daysOverdue: Int
  /// See outputs.md, findings.csv `last_done`.
  package var lastDone: LocalDate?
  package var detail: String
  /// The events considered and the due-date arithmetic, for "why".
  package var evidence: [String]
  package var trustCode: String?
  package var siteCode: String?
  package var consultantCode: String?
  /// The expired exception its detail names (surveillance-rules.md §8), if any.
  package var expiredExceptionId: String? = nil

  init(code: String, context: PatientContext, implant: Implant, due: LocalDate, lastDone: LocalDate?, detail: String, evidence: [String]) {
    self.code = code
    nhsNumber = context.nhsNumber
    procedureId = implant.id
    side = implant.side
    group = implant.group!
    self.due = due
    daysOverdue = context.daysOverdue(due)
    self.lastDone = lastDone
    self.detail = detail
    self.evidence = evidence
    trustCode = implant.procedure.trustCode
    siteCode = implant.procedure.siteCode
    consultantCode = implant.procedure.consultantCode
  }
}

/// One rule of the pack: a finding code, its description, and the check.
/// Rules run only for patients in surveillance.
package protocol SurveillanceRule: Sendable {
  var description: RuleDescription { get }
  func evaluate(_ context: PatientContext) -> [Finding]
}

/// The rules of surveillance-rules.md §4, in report order.
package let allRules: [any SurveillanceRule] = [
  ReviewOverdueRule(), IonsOverdueRule(), IonRepeatOverdueRule(), ImagingRisingIonsOverdueRule(),
  ImagingSymptomsOverdueRule(), ImagingBaselineMissingRule(),
]

/// "annual", "2-yearly", "6-monthly".
func intervalWords(_ months: Int) -> String {
  if months == 12 { return "annual" }
  if months % 12 == 0 { return "\(months / 12)-yearly" }
  return "\(months)-monthly"
}

func sideWords(_ side: Side) -> String { side == .left ? "left hip" : "right hip" }

func describe(_ e: EventRecord) -> String {
  var parts = ["\(e.eventType.rawValue) \(e.eventId) on \(e.eventDate.iso)"]
  if let s = e.side { parts.append("side \(s.rawValue)") }
  if let c = e.cobaltMicrogramsValue { parts.append("cobalt \(formatMicrograms(c)) µg/L") }
  if let c = e.chromiumMicrogramsValue { parts.append("chromium \(formatMicrograms(c)) µg/L") }
  if let s = e.symptomatic { parts.append(s ? "symptomatic" : "asymptomatic") }
  if let f = e.imagingFinding { parts.append("finding \(f.rawValue)") }
  return parts.joined(separator: ", ")
}

/// A laboratory value in µg/L for people, its comparator in front (`<0.5`).
package func formatMicrograms(_ v: LabValue) -> String {
  (v.comparator?.rawValue ?? "") + formatMicrograms(v.number)
}

/// µg/L for people: up to three decimals, trailing zeros dropped.
///
/// `%.3f` straight from the C library: `String(format:)` goes through
/// Foundation's formatter, 2.6 % of the check's writing thread (issue 14).
/// The same digits (`MicrogramsFormatTests` compares the two).
package func formatMicrograms(_ v: Double) -> String {
  withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 400) { buffer in
    let base = UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
    let written = Int(withVaList([v]) { vsnprintf(base, buffer.count, "%.3f", $0) })
    guard written > 0, written < buffer.count else { return formatMicrogramsWithFoundation(v) }
    var end = written
    while end > 0, buffer[end - 1] == 0x30 { end -= 1 }
    if end > 0, buffer[end - 1] == 0x2E { end -= 1 }
    return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<end]), as: UTF8.self)
  }
}

/// `formatMicrograms` through Foundation's `String(format:)`.
func formatMicrogramsWithFoundation(_ v: Double) -> String {
  var s = String(format: "%.3f", v)
  while s.hasSuffix("0") { s.removeLast() }
  if s.hasSuffix(".") { s.removeLast() }
  return s
}
