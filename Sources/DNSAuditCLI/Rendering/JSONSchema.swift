/// The `schemaVersion` every JSON output of the CLI carries (docs/report-format.md): it changes
/// when a key changes meaning or goes away, not when one is added.
enum JSONSchema {
    static let version = 1
}

/// A value encoded as its own JSON object with `schemaVersion` added beside its keys: how the
/// commands whose JSON is a library type's (`spf`, `dmarc`, `presend`, `smtp explain`) carry the
/// version without the library knowing of it.
struct Versioned<Value: Encodable>: Encodable {
    let value: Value

    init(_ value: Value) { self.value = value }

    private enum Key: String, CodingKey { case schemaVersion }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(JSONSchema.version, forKey: .schemaVersion)
    }
}
