/// The run's figures: what summary.json carries and the HTML report charts.
package struct ReportFigures: Sendable, Codable, Equatable {
  package struct Count: Sendable, Codable, Equatable {
    package var key: String
    package var count: Int
  }

  package struct Requirement: Sendable, Codable, Equatable {
    package var finding: String
    package var title: String
    /// Patients (or, for implant-level rules, implants) the requirement applies to.
    package var inScope: Int
    /// Patients with this finding.
    package var patientsOverdue: Int
    package var findings: Int
    /// What `inScope` and `overdue` count: `patients`, or `implants` for implant-level rules.
    package var unit: String
    /// Patients overdue, or for implant-level rules implants overdue: comparable with `inScope`.
    package var overdue: Int
    /// Patients (implants) with no finding of it and at least one excepted (surveillance-rules.md §8).
    package var excepted: Int
    /// Findings of it excepted by clinicians' decisions.
    package var exceptedFindings: Int
    /// excepted / inScope; nil when it applies to nobody.
    package var exceptionRate: Double?
    /// 1 − overdue / (inScope − excepted); nil when that is 0.
    package var compliance: Double?
  }

  /// Compliance of one site or consultant: patients with an active implant of
  /// theirs in surveillance, and those of them with a finding on such an implant.
  package struct Breakdown: Sendable, Codable, Equatable {
    package var key: String
    package var patientsInSurveillance: Int
    package var patientsOverdue: Int
    package var findings: Int
  }

  /// One input file, as section 1 lists it.
  package struct FileFigures: Sendable, Codable, Equatable {
    package var path: String
    package var source: String?
    package var status: String
    package var cumulative: Bool
    package var rowsRead: Int
    package var rowsAccepted: Int
    package var rowsRejected: Int
    package var rowsSkipped: Int
    /// nil for a file loaded before momaudit counted added records.
    package var recordsAdded: Int?
    package var recordsUnchanged: Int
    package var recordsReplaced: Int
    package var recordsWithdrawn: Int
  }

  /// Records withdrawn since the compared run, of one kind from one source.
  package struct WithdrawnCount: Sendable, Codable, Equatable {
    package var recordKind: String
    package var source: String?
    package var records: Int
  }

  package var asOf: String
  package var rulePack: String
  package var runId: Int64
  package var softwareVersion: String
  package var filesRead: Int
  package var filesRefused: Int
  package var rowsRead: Int
  package var rowsAccepted: Int
  package var rowsRejected: Int
  package var rowsSkipped: Int
  /// Skipped rows of the loaded files by rule, summed over files.
  package var skipsByRule: [Count]
  /// The current input files (a cumulative source's earlier deliveries are superseded).
  package var files: [FileFigures]
  package var filesSuperseded: Int
  /// Over the current loaded files: records added, unchanged, replaced, withdrawn.
  package var recordsAdded: Int
  package var recordsUnchanged: Int
  package var recordsReplaced: Int
  package var recordsWithdrawn: Int
  /// The run the withdrawals are counted since (nil: none, every withdrawn record counts).
  package var withdrawnSinceRun: Int64?
  /// Records withdrawn since that run and still withdrawn, by kind and source.
  package var withdrawnSince: [WithdrawnCount]
  package var momPatients: Int
  package var momImplants: Int
  /// MoM implants by how they were found: bearing, components (implant library), assumed.
  package var momImplantsByBasis: [Count]
  package var activeImplants: Int
  package var exclusions: [Count]
  package var inSurveillance: Int
  package var inSurveillanceByGroup: [Count]
  package var requirements: [Requirement]
  package var findings: Int
  package var patientsWithFindings: Int
  /// Findings excepted by clinicians' decisions, in all and by the exception's reason.
  package var excepted: Int
  package var exceptedByReason: [Count]
  /// Exceptions in force for patients in surveillance whose review falls within 30 days after the as-of date.
  package var exceptionsDueForReview: Int
  /// Findings whose matching exceptions have all expired (their detail names the latest).
  package var findingsWithExpiredException: Int
  /// Section 9: the latest run of every as-of date up to this run's, oldest first.
  package var trend: [TrendPoint]
  /// Section 10: trusts, sites and consultants compared (funnel plots).
  package var unitComparisons: [UnitComparison]
  package var overdueBands: [Count]
  package var findingsBySite: [Count]
  package var findingsByConsultant: [Count]
  package var sites: [Breakdown]
  package var consultants: [Breakdown]
  package var clinicalFlags: [Count]
  package var rejectsByReason: [Count]
  package var warningsByCode: [Count]
  package var unverifiedParameters: [String]
  package var localProtocol: Bool

  package static let overdueBandNames = ["0–3 months", "3–6 months", "6–12 months", "over 12 months"]

  /// Band of a days-overdue figure by whole months (≈ 30.44 days each).
  package static func band(daysOverdue: Int) -> String {
    let months = Double(daysOverdue) / (365.25 / 12)
    if months <= 3 { return overdueBandNames[0] }
    if months <= 6 { return overdueBandNames[1] }
    if months <= 12 { return overdueBandNames[2] }
    return overdueBandNames[3]
  }

  /// The counts the figures are made of. Two sources fill it: a report
  /// model in memory (`init(_:)`), and the database by aggregate queries
  /// (`load`, the report stage's, in bounded memory); a test checks they agree.
  struct Tallies {
    var patientsByStatus: [String: Int] = [:]
    var inSurveillanceByGroup: [String: Int] = [:]
    var momImplants = 0
    var momImplantsByBasis: [String: Int] = [:]
    var activeImplants = 0
    /// Active implants of patients in surveillance in an "imaging for all" group.
    var imagingForAllImplants = 0
    /// Active implants of patients in surveillance.
    var surveilledImplants = 0
    /// Per finding code: patients (implants, for implant-level codes) with no finding of it and one excepted.
    var exceptedUnits: [String: Int] = [:]
    /// Per finding code: excepted findings.
    var exceptedFindings: [String: Int] = [:]
    var exceptedByReason: [String: Int] = [:]
    var dueForReview = 0
    var expiredNoted = 0
    var trend: [TrendPoint] = []
    /// Per kind of unit (`trust`, `site`, `consultant`), per unit key: patients in surveillance, those with a finding.
    var units: [String: [String: (n: Int, r: Int)]] = [:]
    /// Per finding code: findings, distinct patients, distinct implants.
    var byFinding: [String: (findings: Int, patients: Int, implants: Int)] = [:]
    var findings = 0
    var patientsWithFindings = 0
    var findingsByDaysOverdue: [Int: Int] = [:]
    /// Per site (consultant): patients in surveillance with an active implant there.
    var sitePatients: [String: Int] = [:]
    var consultantPatients: [String: Int] = [:]
    /// Per site (consultant) of the finding: distinct patients, findings.
    var siteFindings: [String: (patients: Int, findings: Int)] = [:]
    var consultantFindings: [String: (patients: Int, findings: Int)] = [:]
    var flags: [String: Int] = [:]
    var rejects: [String: Int] = [:]
    var warnings: [String: Int] = [:]
    var supersededFiles = 0
    var comparedRun: Int64? = nil
    /// Withdrawn records by kind, then source ("" for none).
    var withdrawn: [String: [String: Int]] = [:]

    mutating func count(_ w: ReportModel.WithdrawnRow) { withdrawn[w.recordKind, default: [:]][w.source ?? "", default: 0] += 1 }
  }

  /// The figures of a model in memory.
  package init(_ m: ReportModel) {
    var t = Tallies()
    for p in m.patients { t.patientsByStatus[p.status, default: 0] += 1 }
    let surveilled = Set(m.patients.filter { $0.status == PatientStatus.inSurveillance.rawValue }.map(\.nhsNumber))
    for p in m.patients where surveilled.contains(p.nhsNumber) {
      for g in Set(p.groups.split(separator: ";")) { t.inSurveillanceByGroup[String(g), default: 0] += 1 }
    }
    t.momImplants = m.implants.count
    for i in m.implants { t.momImplantsByBasis[i.momBasis, default: 0] += 1 }
    t.activeImplants = m.implants.filter(\.active).count
    let inSurveillanceImplants = m.implants.filter { $0.active && surveilled.contains($0.nhsNumber) }
    t.imagingForAllImplants = inSurveillanceImplants.filter {
      $0.group.flatMap(SurveillanceGroup.init(rawValue:))?.imagingForAll ?? false
    }.count
    for code in Set(m.findings.map(\.finding)) {
      let rows = m.findings.filter { $0.finding == code }
      t.byFinding[code] = (rows.count, Set(rows.map(\.nhsNumber)).count, Set(rows.map(\.procedureId)).count)
    }
    t.findings = m.findings.count
    t.patientsWithFindings = Set(m.findings.map(\.nhsNumber)).count
    for f in m.findings { t.findingsByDaysOverdue[f.daysOverdue, default: 0] += 1 }
    func patients(_ key: (ReportModel.ImplantRow) -> String?) -> [String: Int] {
      Dictionary(grouping: inSurveillanceImplants) { key($0) ?? "(none)" }.mapValues { Set($0.map(\.nhsNumber)).count }
    }
    func overdue(_ key: (ReportModel.FindingRow) -> String?) -> [String: (patients: Int, findings: Int)] {
      Dictionary(grouping: m.findings) { key($0) ?? "(none)" }.mapValues { (Set($0.map(\.nhsNumber)).count, $0.count) }
    }
    t.sitePatients = patients(\.siteCode)
    t.consultantPatients = patients(\.consultantCode)
    t.siteFindings = overdue(\.siteCode)
    t.consultantFindings = overdue(\.consultantCode)
    t.surveilledImplants = inSurveillanceImplants.count
    let implantLevel = Set(allRules.map(\.description).filter { $0.level == .implant }.map(\.code))
    for code in Set(m.excepted.map(\.finding.finding)) {
      let rows = m.excepted.map(\.finding).filter { $0.finding == code }
      t.exceptedFindings[code] = rows.count
      let unit: (ReportModel.FindingRow) -> String = implantLevel.contains(code) ? { $0.procedureId } : { $0.nhsNumber }
      let overdue = Set(m.findings.filter { $0.finding == code }.map(unit))
      t.exceptedUnits[code] = Set(rows.map(unit)).subtracting(overdue).count
    }
    for x in m.excepted { t.exceptedByReason[x.reason, default: 0] += 1 }
    t.dueForReview = m.exceptions.filter { $0.dueForReview(asOf: m.run.asOf) }.count
    t.expiredNoted = m.findings.filter { $0.expiredExceptionId != nil }.count
    t.trend = m.trend
    let implantById = Dictionary(m.implants.map { ($0.procedureId, $0) }, uniquingKeysWith: { a, _ in a })
    let withFindings = Set(m.findings.map(\.nhsNumber))
    for p in m.patients where p.status == PatientStatus.inSurveillance.rawValue {
      guard let id = p.reviewProcedureId, let i = implantById[id] else { continue }
      for (kind, code) in zip(UnitComparison.kinds, [i.trustCode, i.siteCode, i.consultantCode]) {
        let key = code.flatMap { $0.isEmpty ? nil : $0 } ?? UnitComparison.notRecorded
        var c = t.units[kind, default: [:]][key] ?? (0, 0)
        c.n += 1
        if withFindings.contains(p.nhsNumber) { c.r += 1 }
        t.units[kind, default: [:]][key] = c
      }
    }
    for f in m.flags { t.flags[f.flag, default: 0] += 1 }
    for r in m.rejects { t.rejects[r.reasonCode, default: 0] += 1 }
    for w in m.warnings { t.warnings[w.code, default: 0] += 1 }
    t.supersededFiles = m.supersededFiles
    t.comparedRun = m.comparison?.run.id
    for w in m.withdrawn { t.count(w) }
    self.init(run: m.run, files: m.files, t)
  }

  init(run: ReportModel.Run, files: [ReportModel.SourceFile], _ t: Tallies) {
    asOf = run.asOf
    rulePack = run.packName
    runId = run.id
    softwareVersion = run.softwareVersion
    let loaded = files.filter { $0.status == "loaded" }
    filesRead = files.count
    filesRefused = files.count - loaded.count
    rowsRead = loaded.reduce(0) { $0 + $1.rowsRead }
    rowsAccepted = loaded.reduce(0) { $0 + $1.rowsAccepted }
    rowsRejected = loaded.reduce(0) { $0 + $1.rowsRejected }
    rowsSkipped = loaded.reduce(0) { $0 + $1.rowsSkipped }
    skipsByRule = Dictionary(loaded.flatMap(\.skips).map { ($0.key, $0.count) }, uniquingKeysWith: +)
      .sorted { $0.key < $1.key }.map { Count(key: $0.key, count: $0.value) }
    self.files = files.map {
      FileFigures(
        path: $0.path, source: $0.source, status: $0.status, cumulative: $0.cumulative, rowsRead: $0.rowsRead,
        rowsAccepted: $0.rowsAccepted, rowsRejected: $0.rowsRejected, rowsSkipped: $0.rowsSkipped,
        recordsAdded: $0.recordsAdded, recordsUnchanged: $0.recordsUnchanged, recordsReplaced: $0.recordsReplaced,
        recordsWithdrawn: $0.recordsWithdrawn)
    }
    filesSuperseded = t.supersededFiles
    recordsAdded = loaded.reduce(0) { $0 + ($1.recordsAdded ?? 0) }
    recordsUnchanged = loaded.reduce(0) { $0 + $1.recordsUnchanged }
    recordsReplaced = loaded.reduce(0) { $0 + $1.recordsReplaced }
    recordsWithdrawn = loaded.reduce(0) { $0 + $1.recordsWithdrawn }
    withdrawnSinceRun = t.comparedRun
    withdrawnSince = t.withdrawn.keys.sorted().flatMap { kind in
      t.withdrawn[kind]!.keys.sorted(by: codePointLess).map {
        WithdrawnCount(recordKind: kind, source: $0.isEmpty ? nil : $0, records: t.withdrawn[kind]![$0]!)
      }
    }
    momPatients = t.patientsByStatus.values.reduce(0, +)
    momImplants = t.momImplants
    momImplantsByBasis = MoMBasis.allCases.map { Count(key: $0.rawValue, count: t.momImplantsByBasis[$0.rawValue] ?? 0) }
    activeImplants = t.activeImplants
    exclusions = PatientStatus.allCases.filter { $0 != .inSurveillance }.map { s in
      Count(key: s.rawValue, count: t.patientsByStatus[s.rawValue] ?? 0)
    }
    inSurveillance = t.patientsByStatus[PatientStatus.inSurveillance.rawValue] ?? 0
    inSurveillanceByGroup = SurveillanceGroup.allCases.map { g in
      Count(key: g.rawValue, count: t.inSurveillanceByGroup[g.rawValue] ?? 0)
    }
    let surveilled = inSurveillance
    requirements = allRules.map { rule in
      let d = rule.description
      let row = t.byFinding[d.code] ?? (0, 0, 0)
      let implantLevel = d.level == .implant
      // Baseline imaging applies to implants of "imaging for all" groups;
      // imaging for symptoms to every active implant of a patient in surveillance.
      let inScope =
        !implantLevel ? surveilled : d.code == "IMAGING_BASELINE_MISSING" ? t.imagingForAllImplants : t.surveilledImplants
      let overdue = implantLevel ? row.implants : row.patients
      let excepted = t.exceptedUnits[d.code] ?? 0
      return Requirement(
        finding: d.code, title: d.title, inScope: inScope, patientsOverdue: row.patients, findings: row.findings,
        unit: implantLevel ? "implants" : "patients", overdue: overdue, excepted: excepted,
        exceptedFindings: t.exceptedFindings[d.code] ?? 0,
        exceptionRate: inScope == 0 ? nil : Double(excepted) / Double(inScope),
        compliance: inScope - excepted <= 0 ? nil : 1 - Double(overdue) / Double(inScope - excepted))
    }
    findings = t.findings
    patientsWithFindings = t.patientsWithFindings
    excepted = t.exceptedFindings.values.reduce(0, +)
    exceptedByReason = ExceptionReason.allCases.map { Count(key: $0.rawValue, count: t.exceptedByReason[$0.rawValue] ?? 0) }
    exceptionsDueForReview = t.dueForReview
    findingsWithExpiredException = t.expiredNoted
    trend = t.trend
    unitComparisons = UnitComparison.kinds.map { UnitComparison(kind: $0, counts: t.units[$0] ?? [:]) }
    var bands: [String: Int] = [:]
    for (days, n) in t.findingsByDaysOverdue { bands[ReportFigures.band(daysOverdue: days), default: 0] += n }
    overdueBands = ReportFigures.overdueBandNames.map { Count(key: $0, count: bands[$0] ?? 0) }
    findingsBySite = ReportFigures.sorted(t.siteFindings.mapValues(\.findings))
    findingsByConsultant = ReportFigures.sorted(t.consultantFindings.mapValues(\.findings))
    sites = ReportFigures.breakdown(t.sitePatients, t.siteFindings)
    consultants = ReportFigures.breakdown(t.consultantPatients, t.consultantFindings)
    clinicalFlags = ReportFigures.sorted(t.flags)
    rejectsByReason = ReportFigures.sorted(t.rejects)
    warningsByCode = ReportFigures.sorted(t.warnings)
    unverifiedParameters = run.pack.unverified.map(\.key)
    localProtocol = run.localProtocol
  }

  /// A compared run's figures (section 7): without the reported run's own
  /// sections 9 and 10, as `load(…, withdrawn: false)` reads them.
  func compared() -> ReportFigures {
    var f = self
    f.trend = []
    f.unitComparisons = UnitComparison.kinds.map { UnitComparison(kind: $0, counts: [:]) }
    return f
  }

  /// Per site or consultant, most patients overdue first, then key.
  static func breakdown(_ inScope: [String: Int], _ overdue: [String: (patients: Int, findings: Int)]) -> [Breakdown] {
    Set(inScope.keys).union(overdue.keys).map {
      Breakdown(
        key: $0, patientsInSurveillance: inScope[$0] ?? 0, patientsOverdue: overdue[$0]?.patients ?? 0,
        findings: overdue[$0]?.findings ?? 0)
    }.sorted {
      $0.patientsOverdue != $1.patientsOverdue ? $0.patientsOverdue > $1.patientsOverdue : codePointLess($0.key, $1.key)
    }
  }

  /// Counts by key, largest first, then key.
  static func sorted(_ d: [String: Int]) -> [Count] {
    d.map { Count(key: $0.key, count: $0.value) }.sorted {
      $0.count != $1.count ? $0.count > $1.count : codePointLess($0.key, $1.key)
    }
  }
}
