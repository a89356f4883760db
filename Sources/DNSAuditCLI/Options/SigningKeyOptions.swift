import ArgumentParser
import DKIM
import Foundation

/// The signing options `dkim sign` and `presend` share: one signature per `--key`, with
/// `--domain`, `--selector` and `--headers` given once for all of them or once per key.
struct SigningKeyOptions: ParsableArguments {
    @Option(help: "d=: the signing domain (once, or once per --key).")
    var domain: [String] = []

    @Option(help: "s=: the selector (once, or once per --key).")
    var selector: [String] = []

    @Option(help: ArgumentHelp("Private key: PEM (PKCS#1 or PKCS#8) or a base64 Ed25519 seed (repeatable).",
                               valueName: "file"), completion: .file())
    var key: [String] = []

    @Option(help: ArgumentHelp(
        "h=: header fields to sign, colon-separated (default: the RFC 6376 §5.4.1 set plus List-Unsubscribe(-Post) when present, over-signed).",
        valueName: "a:b:c"))
    var headers: [String] = []

    /// Whether any signing option was given.
    var isEmpty: Bool { key.isEmpty && domain.isEmpty && selector.isEmpty && headers.isEmpty }

    /// Checks that each option is given once or once per key.
    func validateCounts(extra: [(String, [String])] = []) throws {
        let count = key.count
        for (name, values) in [("--domain", domain), ("--selector", selector)] where values.count != 1 && values.count != count {
            throw ValidationError("give \(name) once, or once per --key (\(count))")
        }
        for (name, values) in [("--headers", headers)] + extra where values.count > 1 && values.count != count {
            throw ValidationError("give \(name) once, or once per --key (\(count))")
        }
    }

    /// The value for signature `index`: the only one, the index-th, or `nil` when none was given.
    static func pick<T>(_ values: [T], _ index: Int) -> T? {
        values.isEmpty ? nil : values.count == 1 ? values[0] : values[index]
    }

    /// Loads the private key at `path` for a command's `--key`: a usage error names the file, and
    /// a group- or world-readable file gets a warning on stderr.
    static func loadKey(path: String) throws -> DKIMPrivateKey {
        let privateKey: DKIMPrivateKey
        do { privateKey = try DKIMPrivateKey(contentsOfFile: path) } catch {
            throw ValidationError("--key \(path): \(error)")
        }
        if let warning = DKIMPrivateKey.permissionWarning(path: path) { printError("dnsaudit: warning: \(warning)") }
        return privateKey
    }

    /// The `--headers` list for signature `index`, if given.
    func headerList(_ index: Int) -> [String]? {
        Self.pick(headers, index).map { $0.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    /// A configuration per key, with the shared options filled in; `adjust` sets the rest.
    func configurations(
        _ adjust: (_ index: Int, _ configuration: inout DKIMSigningConfiguration) throws -> Void = { _, _ in }
    ) throws -> [DKIMSigningConfiguration] {
        try key.indices.map { index in
            var configuration = DKIMSigningConfiguration(
                domain: Self.pick(domain, index)!, selector: Self.pick(selector, index)!, key: try Self.loadKey(path: key[index]),
                headers: headerList(index))
            try adjust(index, &configuration)
            return configuration
        }
    }
}
