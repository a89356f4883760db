/// The `schemaVersion` every JSON output of the CLI carries (docs/report-format.md): it changes
/// when a key changes meaning or goes away, not when one is added.
enum JSONSchema {
    static let version = 1
}
