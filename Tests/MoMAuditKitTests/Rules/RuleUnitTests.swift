import Testing
@testable import MoMAuditKit

/// Each rule on small hand-built patients (the scenario folders cover the
/// spec's edges end to end; these pin the units and the pack's parameters).
@Suite("Rules")
struct RuleUnitTests {
  static let nhs = "9434765919"

  static func procedure(
    _ id: String, _ date: String, side: Side = .left, type: ProcedureType = .resurfacing, bearing: Bearing = .mom,
    head: Double? = 50, sex: Sex = .male, femoral: String? = nil
  ) -> ProcedureRecord {
    ProcedureRecord(
      procedureId: id, nhsNumber: nhs, sex: sex, procedureDate: LocalDate(iso: date)!, side: side, procedureType: type,
      bearing: bearing, headDiameterMm: head, femoralComponent: femoral)
  }

  static func event(
    _ id: String, _ date: String, _ type: EventType, side: EventSide? = nil, symptomatic: Bool? = nil,
    cobalt: Double? = nil, chromium: Double? = nil, unit: IonUnit? = nil, sample: SampleType? = nil,
    finding: ImagingFinding? = nil, ohs: Int? = nil
  ) -> EventRecord {
    EventRecord(
      eventId: id, nhsNumber: nhs, eventDate: LocalDate(iso: date)!, eventType: type, side: side, symptomatic: symptomatic,
      oxfordHipScore: ohs, cobalt: cobalt, chromium: chromium, ionUnit: unit ?? (cobalt != nil || chromium != nil ? .microgramsPerLitre : nil),
      sampleType: sample ?? (type == .bloodMetalIons ? .wholeBlood : nil), imagingFinding: finding)
  }

  static func context(_ p: [ProcedureRecord], _ e: [EventRecord], asOf: String, pack: RulePack = .mhra2017) -> PatientContext {
    PatientContext(nhsNumber: nhs, procedures: p, events: e, asOf: LocalDate(iso: asOf)!, pack: pack)
  }

  static func codes(_ c: PatientContext) -> [String] { PatientResult(context: c).findings.map(\.code) }

  @Test("surveillance groups, in the order of §3", arguments: [
    (procedure("P", "2008-01-01", type: .resurfacing, head: 50, sex: .male, femoral: "DePuy ASR head"), SurveillanceGroup.asr, [String]()),
    (procedure("P", "2008-01-01", type: .totalHip, head: 36), .stemmedLargeHead, []),
    (procedure("P", "2008-01-01", type: .totalHip, head: 35.9), .stemmedSmallHead, []),
    (procedure("P", "2008-01-01", type: .totalHip, head: nil), .stemmedLargeHead, ["HEAD_SIZE_UNKNOWN"]),
    (procedure("P", "2008-01-01", type: .revision, head: 28), .stemmedSmallHead, []),
    (procedure("P", "2008-01-01", head: 48, sex: .male), .resurfacingHighRisk, []),
    (procedure("P", "2008-01-01", head: 48.01, sex: .male), .resurfacingLowRisk, []),
    (procedure("P", "2008-01-01", head: 50, sex: .female), .resurfacingHighRisk, []),
    (procedure("P", "2008-01-01", head: 50, sex: .unknown), .resurfacingHighRisk, ["SEX_UNKNOWN"]),
    (procedure("P", "2008-01-01", head: 46, sex: .unknown), .resurfacingHighRisk, []),
    (procedure("P", "2008-01-01", head: nil, sex: .male), .resurfacingHighRisk, ["HEAD_SIZE_UNKNOWN"]),
    (procedure("P", "2008-01-01", head: nil, sex: .unknown), .resurfacingHighRisk, ["SEX_UNKNOWN", "HEAD_SIZE_UNKNOWN"]),
    (procedure("P", "2008-01-01", head: nil, sex: .female), .resurfacingHighRisk, ["HEAD_SIZE_UNKNOWN"]),
  ])
  func groups(_ p: ProcedureRecord, _ group: SurveillanceGroup, _ warnings: [String]) {
    let (g, w) = SurveillanceGroup.classify(p, pack: .mhra2017)
    #expect(g == group)
    #expect(w == warnings)
  }

  @Test("low-risk schedule: 12 months before procedure + 60 months, 24 from then on")
  func lowRiskSchedule() {
    let pack = RulePack.mhra2017
    let op = LocalDate(iso: "2010-03-15")!
    let g = SurveillanceGroup.resurfacingLowRisk
    #expect(g.intervalMonths(reference: LocalDate(iso: "2015-03-14")!, procedureDate: op, pack: pack) == 12)
    #expect(g.intervalMonths(reference: LocalDate(iso: "2015-03-15")!, procedureDate: op, pack: pack) == 24)
    #expect(SurveillanceGroup.asr.intervalMonths(reference: LocalDate(iso: "2025-03-15")!, procedureDate: op, pack: pack) == 12)
  }

  @Test("rules read their numbers from the pack: a local 3-yearly protocol moves the due date")
  func parametersComeFromThePack() throws {
    let p = [Self.procedure("P1", "2005-01-10", head: 52)]  // male, low risk
    let e = [Self.event("R1", "2022-06-01", .review), Self.event("I1", "2022-06-01", .bloodMetalIons, cobalt: 1, chromium: 1),
             Self.event("M1", "2006-01-01", .marsMRI, side: .left)]
    let asOf = "2025-01-01"
    #expect(Self.codes(Self.context(p, e, asOf: asOf)) == ["REVIEW_OVERDUE", "IONS_OVERDUE"])
    let local = try RulePack.mhra2017.overriding(["low_risk_late_interval_months": 36])
    #expect(local.isLocalProtocol)
    #expect(Self.codes(Self.context(p, e, asOf: asOf, pack: local)).isEmpty)
    let threshold = try RulePack.mhra2017.overriding(["ion_threshold_ug_l": 0.5])
    let c = Self.context(p, e + [Self.event("I2", "2024-12-01", .bloodMetalIons, cobalt: 0.9)], asOf: "2025-03-02", pack: threshold)
    #expect(Self.codes(c).contains("ION_REPEAT_OVERDUE"))
    #expect(throws: AuditError.self) { try RulePack.mhra2017.overriding(["no_such_parameter": 1]) }
  }

  @Test("grace days: overdue only when the as-of date is past due + grace")
  func grace() throws {
    let p = [Self.procedure("P1", "2024-01-10", type: .totalHip, head: 28)]
    let e = [Self.event("I1", "2024-06-10", .bloodMetalIons, cobalt: 1)]  // ions due 2025-06-10
    let asOf = "2025-01-20"  // review due 2025-01-10, 10 days overdue
    #expect(Self.codes(Self.context(p, e, asOf: asOf)) == ["REVIEW_OVERDUE"])
    let g10 = try RulePack.mhra2017.overriding(["grace_days": 10])
    #expect(Self.codes(Self.context(p, e, asOf: asOf, pack: g10)).isEmpty)
    let g9 = try RulePack.mhra2017.overriding(["grace_days": 9])
    let f = PatientResult(context: Self.context(p, e, asOf: asOf, pack: g9)).findings
    #expect(f.map(\.daysOverdue) == [10])
  }

  @Test("exclusions: the latest applicable event wins")
  func exclusions() {
    let p = [Self.procedure("P1", "2008-01-01")]
    let died = Self.context(p, [Self.event("D", "2020-01-01", .death), Self.event("T", "2021-01-01", .transferredOut)], asOf: "2025-01-01")
    #expect(died.status == .transferredOut)
    let back = Self.context(p, [Self.event("T", "2021-01-01", .transferredOut), Self.event("R", "2021-06-01", .review)], asOf: "2025-01-01")
    #expect(back.status == .inSurveillance)
    let serumOnly = Self.context(p, [Self.event("T", "2021-01-01", .declinedFollowUp),
      Self.event("S", "2021-06-01", .bloodMetalIons, cobalt: 1, sample: .serum)], asOf: "2025-01-01")
    #expect(serumOnly.status == .declined)
    let revised = Self.context(p + [Self.procedure("V1", "2015-01-01", type: .revision, bearing: .cop)], [], asOf: "2025-01-01")
    #expect(revised.status == .revised)
    #expect(revised.statusDate == LocalDate(iso: "2015-01-01"))
    let afterAsOf = Self.context(p, [Self.event("D", "2025-01-02", .death)], asOf: "2025-01-01")
    #expect(afterAsOf.status == .inSurveillance)
  }

  @Test("property: findings only for patients in surveillance, never due after the as-of date, days_overdue = D − due")
  func invariants() {
    var rng = SplitMix(seed: 7)
    let types: [EventType] = [.review, .bloodMetalIons, .marsMRI, .ultrasound, .death, .transferredOut, .didNotAttend]
    for n in 0..<400 {
      var procs: [ProcedureRecord] = []
      for i in 0..<Int(1 + rng.next() % 3) {
        let date = LocalDate(dayNumber: Int32(12_000 + rng.next() % 7_000)).iso
        procs.append(Self.procedure("P\(n)-\(i)", date, side: rng.next() % 2 == 0 ? .left : .right,
          type: [.resurfacing, .totalHip, .revision][Int(rng.next() % 3)], bearing: rng.next() % 4 == 0 ? .cop : .mom,
          head: rng.next() % 5 == 0 ? nil : Double(28 + rng.next() % 30), sex: [.male, .female, .unknown][Int(rng.next() % 3)]))
      }
      var events: [EventRecord] = []
      for i in 0..<Int(rng.next() % 12) {
        let t = types[Int(rng.next() % UInt64(types.count))]
        let date = LocalDate(dayNumber: Int32(13_000 + rng.next() % 7_000)).iso
        events.append(Self.event("E\(n)-\(i)", date, t, side: [nil, .left, .right, .both][Int(rng.next() % 4)],
          symptomatic: rng.next() % 3 == 0, cobalt: t == .bloodMetalIons ? Double(rng.next() % 150) / 10 : nil))
      }
      let asOf = LocalDate(dayNumber: Int32(17_000 + rng.next() % 3_000))
      let c = PatientContext(nhsNumber: Self.nhs, procedures: procs, events: events, asOf: asOf, pack: .mhra2017)
      let r = PatientResult(context: c)
      if c.status != .inSurveillance { #expect(r.findings.isEmpty) }
      for f in r.findings {
        #expect(f.due < asOf)
        #expect(f.daysOverdue == asOf.days(since: f.due))
        #expect(c.activeImplants.contains { $0.id == f.procedureId && $0.group == f.group })
      }
    }
  }
}
