package enum MoMAudit {
  /// Printed in every report; bump with each release (CHANGELOG.md).
  package static let version = "0.1.0"
}
