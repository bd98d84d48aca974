/// A MoM implant of one patient as of the audit date.
package struct Implant: Sendable {
  package var procedure: ProcedureRecord
  /// The revision that ended surveillance of this implant, if any (§2).
  package var endedBy: ProcedureRecord?
  /// Set for active implants only.
  package var group: SurveillanceGroup?
  package var warnings: [String] = []
  /// How the procedure was found to be MoM, and the library entry when by its components.
  package var basis: MoMBasis = .bearing
  package var libraryEntry: ImplantLibrary.Entry? = nil

  package var active: Bool { endedBy == nil }
  package var id: String { procedure.procedureId }
  package var side: Side { procedure.side }
  package var date: LocalDate { procedure.procedureDate }
}

/// Why a MoM patient is, or is not, in surveillance on the as-of date (§2).
package enum PatientStatus: String, Sendable, CaseIterable {
  case inSurveillance = "in_surveillance"
  case deceased
  case transferredOut = "transferred_out"
  case declined
  case revised
}

/// A patient-level due date and the implant that gives it (§4.1, §4.2).
package struct Schedule: Sendable {
  package var due: LocalDate
  package var governing: Implant
  /// The event the due date counts from; nil when it counts from the operation.
  package var reference: EventRecord?
  package var intervalMonths: Int
}

/// Everything the rules need about one patient as of D, computed once.
/// Records dated after D never reach here.
package struct PatientContext: Sendable {
  package let asOf: LocalDate
  package let pack: RulePack
  package let nhsNumber: String
  /// Every MoM implant dated ≤ D, by date then procedure_id.
  package let implants: [Implant]
  package let procedures: [ProcedureRecord]
  /// Every event ≤ D, by date then event_id (code-point order).
  package let events: [EventRecord]
  package let reviews: [EventRecord]
  /// Whole-blood ion tests only; serum and plasma never satisfy a rule.
  package let ionTests: [EventRecord]
  /// MARS MRI and ultrasound.
  package let imaging: [EventRecord]
  package let status: PatientStatus
  package let statusDate: LocalDate?
  /// Ids of the ion tests assembled from results (their warnings name results).
  package let assembledTests: Set<String>

  package var activeImplants: [Implant] { implants.filter(\.active) }

  package init(
    nhsNumber: String, procedures: [ProcedureRecord], events: [EventRecord], asOf: LocalDate, pack: RulePack,
    assembledTests: Set<String> = []
  ) {
    self.asOf = asOf
    self.assembledTests = assembledTests
    self.pack = pack
    self.nhsNumber = nhsNumber
    let procs = procedures.filter { $0.procedureDate <= asOf }.sorted(by: PatientContext.procedureOrder)
    let evs = events.filter { $0.eventDate <= asOf }.sorted(by: PatientContext.eventOrder)
    self.procedures = procs
    self.events = evs
    reviews = evs.filter { $0.eventType == .review }
    ionTests = evs.filter { $0.eventType == .bloodMetalIons && $0.sampleType == .wholeBlood }
    imaging = evs.filter { $0.eventType.isCrossSectionalImaging }

    let revisions = procs.filter { $0.procedureType == .revision }
    var implants: [Implant] = []
    for p in procs {
      guard let found = p.momFinding else { continue }
      // A revision on the same side dated on or after the implant ends it; a
      // MoM revision is ended only by a revision dated strictly after it.
      let ending = revisions.first { r in
        r.procedureId != p.procedureId && r.side == p.side
          && (p.procedureType == .revision ? r.procedureDate > p.procedureDate : r.procedureDate >= p.procedureDate)
      }
      var implant = Implant(procedure: p, endedBy: ending)
      implant.basis = found.basis
      implant.libraryEntry = found.entry
      if ending == nil {
        let (group, warnings) = SurveillanceGroup.classify(p, pack: pack)
        implant.group = group
        implant.warnings = warnings
      }
      implants.append(implant)
    }
    self.implants = implants
    (status, statusDate) = PatientContext.decideStatus(implants: implants, procedures: procs, events: evs, ionTests: ionTests)
  }

  static func procedureOrder(_ a: ProcedureRecord, _ b: ProcedureRecord) -> Bool {
    if a.procedureDate != b.procedureDate { return a.procedureDate < b.procedureDate }
    return codePointLess(a.procedureId, b.procedureId)
  }

  static func eventOrder(_ a: EventRecord, _ b: EventRecord) -> Bool {
    if a.eventDate != b.eventDate { return a.eventDate < b.eventDate }
    return codePointLess(a.eventId, b.eventId)
  }

  /// §2: the latest applicable exclusion wins (date, then id as text).
  private static func decideStatus(
    implants: [Implant], procedures: [ProcedureRecord], events: [EventRecord], ionTests: [EventRecord]
  ) -> (PatientStatus, LocalDate?) {
    var candidates: [(LocalDate, String, PatientStatus)] = []
    for e in events {
      switch e.eventType {
      case .death:
        candidates.append((e.eventDate, e.eventId, .deceased))
      case .transferredOut, .declinedFollowUp:
        let resumed =
          events.contains { $0.eventType == .review && $0.eventDate > e.eventDate }
          || ionTests.contains { $0.eventDate > e.eventDate }
          || procedures.contains { $0.procedureDate > e.eventDate }
        if !resumed {
          candidates.append((e.eventDate, e.eventId, e.eventType == .death ? .deceased : e.eventType == .transferredOut ? .transferredOut : .declined))
        }
      default:
        break
      }
    }
    if !implants.isEmpty, !implants.contains(where: \.active) {
      // The patient left surveillance when the last of their implants was revised.
      let last = implants.compactMap(\.endedBy).max { procedureOrder($0, $1) }!
      candidates.append((last.procedureDate, last.procedureId, .revised))
    }
    guard let winner = candidates.max(by: { a, b in a.0 != b.0 ? a.0 < b.0 : codePointLess(a.1, b.1) }) else {
      return (.inSurveillance, nil)
    }
    return (winner.2, winner.0)
  }

  // MARK: helpers the rules share

  /// §1: overdue when D > due + grace.
  package func isOverdue(_ due: LocalDate) -> Bool { asOf > due.addingDays(Int(pack[.graceDays])) }
  package func daysOverdue(_ due: LocalDate) -> Int { asOf.days(since: due) }

  /// Cross-sectional imaging that counts for a hip on `side` (its side, `B` or blank).
  package func imaging(covering side: Side) -> [EventRecord] {
    imaging.filter { ($0.side ?? .both).covers(side) }
  }

  /// §4.1/§4.2: each active implant's due date from the latest qualifying event
  /// on or after its operation; the earliest wins (ties: earliest operation,
  /// then smallest procedure_id).
  package func schedule(events qualifying: [EventRecord]) -> Schedule? {
    var best: Schedule? = nil
    for implant in activeImplants {
      guard let group = implant.group else { continue }
      let ref = qualifying.last { $0.eventDate >= implant.date }
      let refDate = ref?.eventDate ?? implant.date
      let interval = group.intervalMonths(reference: refDate, procedureDate: implant.date, pack: pack)
      let candidate = Schedule(due: refDate.addingMonths(interval), governing: implant, reference: ref, intervalMonths: interval)
      if let b = best {
        let better =
          candidate.due != b.due ? candidate.due < b.due
          : candidate.governing.date != b.governing.date ? candidate.governing.date < b.governing.date
          : codePointLess(candidate.governing.id, b.governing.id)
        if better { best = candidate }
      } else {
        best = candidate
      }
    }
    return best
  }

  package var reviewSchedule: Schedule? { schedule(events: reviews) }
  package var ionSchedule: Schedule? { schedule(events: ionTests) }

  /// §4.3: cobalt or chromium above the threshold (µg/L, full precision; a
  /// censored value only when its whole range is above: §4 "Censored values").
  package func isRaised(_ test: EventRecord) -> Bool {
    let t = pack[.ionThresholdMicrograms]
    return [test.cobaltMicrogramsValue, test.chromiumMicrogramsValue].contains { $0?.position(against: t) == .above }
  }

  /// §4.4: raised, and for a metal above the threshold higher than in the
  /// previous test (censored results compare as ranges).
  package func isRising(_ test: EventRecord, previous: EventRecord?) -> Bool {
    guard isRaised(test), let previous else { return false }
    let t = pack[.ionThresholdMicrograms]
    let pairs = [
      (test.cobaltMicrogramsValue, previous.cobaltMicrogramsValue),
      (test.chromiumMicrogramsValue, previous.chromiumMicrogramsValue),
    ]
    return pairs.contains { now, before in
      guard let now, now.position(against: t) == .above, let before else { return false }
      return now.isHigher(than: before)
    }
  }

  package var latestIonTest: EventRecord? { ionTests.last }
  package var previousIonTest: EventRecord? { ionTests.count >= 2 ? ionTests[ionTests.count - 2] : nil }
  package var latestIonTestIsRising: Bool {
    guard let latest = latestIonTest else { return false }
    return isRising(latest, previous: previousIonTest)
  }
}

/// Unicode code-point order (ids are compared as text everywhere, §1).
package func codePointLess(_ a: String, _ b: String) -> Bool {
  a.utf8.lexicographicallyPrecedes(b.utf8)
}
