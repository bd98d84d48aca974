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
  }

  /// Compliance of one site or consultant: patients with an active implant of
  /// theirs in surveillance, and those of them with a finding on such an implant.
  package struct Breakdown: Sendable, Codable, Equatable {
    package var key: String
    package var patientsInSurveillance: Int
    package var patientsOverdue: Int
    package var findings: Int
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
  package var momPatients: Int
  package var momImplants: Int
  package var activeImplants: Int
  package var exclusions: [Count]
  package var inSurveillance: Int
  package var inSurveillanceByGroup: [Count]
  package var requirements: [Requirement]
  package var findings: Int
  package var patientsWithFindings: Int
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

  package init(_ m: ReportModel) {
    asOf = m.run.asOf
    rulePack = m.run.packName
    runId = m.run.id
    softwareVersion = m.run.softwareVersion
    let loaded = m.files.filter { $0.status == "loaded" }
    filesRead = m.files.count
    filesRefused = m.files.count - loaded.count
    rowsRead = loaded.reduce(0) { $0 + $1.rowsRead }
    rowsAccepted = loaded.reduce(0) { $0 + $1.rowsAccepted }
    rowsRejected = loaded.reduce(0) { $0 + $1.rowsRejected }
    momPatients = m.patients.count
    momImplants = m.implants.count
    activeImplants = m.implants.filter(\.active).count
    exclusions = PatientStatus.allCases.filter { $0 != .inSurveillance }.map { s in
      Count(key: s.rawValue, count: m.patients.filter { $0.status == s.rawValue }.count)
    }
    let surveilled = Set(m.patients.filter { $0.status == PatientStatus.inSurveillance.rawValue }.map(\.nhsNumber))
    inSurveillance = surveilled.count
    inSurveillanceByGroup = SurveillanceGroup.allCases.map { g in
      Count(key: g.rawValue, count: m.patients.filter { surveilled.contains($0.nhsNumber) && $0.groups.split(separator: ";").contains(Substring(g.rawValue)) }.count)
    }
    let imagingForAllImplants = m.implants.filter {
      surveilled.contains($0.nhsNumber) && $0.active && ($0.group.flatMap(SurveillanceGroup.init(rawValue:))?.imagingForAll ?? false)
    }.count
    requirements = allRules.map { rule in
      let d = rule.description
      let rows = m.findings.filter { $0.finding == d.code }
      let patientsOverdue = Set(rows.map(\.nhsNumber)).count
      let implantLevel = d.code == "IMAGING_BASELINE_MISSING"
      return Requirement(
        finding: d.code, title: d.title, inScope: implantLevel ? imagingForAllImplants : surveilled.count,
        patientsOverdue: patientsOverdue, findings: rows.count, unit: implantLevel ? "implants" : "patients",
        overdue: implantLevel ? Set(rows.map(\.procedureId)).count : patientsOverdue)
    }
    findings = m.findings.count
    patientsWithFindings = Set(m.findings.map(\.nhsNumber)).count
    overdueBands = ReportFigures.overdueBandNames.map { b in
      Count(key: b, count: m.findings.filter { ReportFigures.band(daysOverdue: $0.daysOverdue) == b }.count)
    }
    findingsBySite = ReportFigures.tally(m.findings.map { $0.siteCode ?? "(none)" })
    findingsByConsultant = ReportFigures.tally(m.findings.map { $0.consultantCode ?? "(none)" })
    let inSurveillanceImplants = m.implants.filter { $0.active && surveilled.contains($0.nhsNumber) }
    sites = ReportFigures.breakdown(inSurveillanceImplants, m.findings, by: { $0.siteCode }, { $0.siteCode })
    consultants = ReportFigures.breakdown(
      inSurveillanceImplants, m.findings, by: { $0.consultantCode }, { $0.consultantCode })
    clinicalFlags = ReportFigures.tally(m.flags.map(\.flag))
    rejectsByReason = ReportFigures.tally(m.rejects.map(\.reasonCode))
    warningsByCode = ReportFigures.tally(m.warnings.map(\.code))
    unverifiedParameters = m.run.pack.unverified.map(\.key)
    localProtocol = m.run.localProtocol
  }

  /// Per site or consultant, most patients overdue first, then key.
  static func breakdown(
    _ implants: [ReportModel.ImplantRow], _ findings: [ReportModel.FindingRow],
    by implantKey: (ReportModel.ImplantRow) -> String?, _ findingKey: (ReportModel.FindingRow) -> String?
  ) -> [Breakdown] {
    var inScope: [String: Set<String>] = [:]
    var overdue: [String: Set<String>] = [:]
    var count: [String: Int] = [:]
    for i in implants { inScope[implantKey(i) ?? "(none)", default: []].insert(i.nhsNumber) }
    for f in findings {
      let k = findingKey(f) ?? "(none)"
      overdue[k, default: []].insert(f.nhsNumber)
      count[k, default: 0] += 1
    }
    let keys = Set(inScope.keys).union(overdue.keys)
    return keys.map {
      Breakdown(
        key: $0, patientsInSurveillance: inScope[$0]?.count ?? 0, patientsOverdue: overdue[$0]?.count ?? 0,
        findings: count[$0] ?? 0)
    }.sorted {
      $0.patientsOverdue != $1.patientsOverdue ? $0.patientsOverdue > $1.patientsOverdue : codePointLess($0.key, $1.key)
    }
  }

  /// Counts by key, largest first, then key.
  static func tally(_ keys: [String]) -> [Count] {
    var d: [String: Int] = [:]
    for k in keys { d[k, default: 0] += 1 }
    return d.map { Count(key: $0.key, count: $0.value) }.sorted {
      $0.count != $1.count ? $0.count > $1.count : codePointLess($0.key, $1.key)
    }
  }
}
