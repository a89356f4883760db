import ArgumentParser
import DKIM
import DNSAudit
import DNSCore
import Foundation

/// `dnsaudit dkim sign|verify|keygen|testkey`.
struct DKIMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dkim",
        abstract: "Sign and verify messages with DKIM, generate keys, and test published keys.",
        discussion: String(HelpExamples.dkim.dropFirst(2)),
        subcommands: [DKIMSignCommand.self, DKIMVerifyCommand.self, DKIMKeygenCommand.self, DKIMTestkeyCommand.self]
    )
}

// MARK: - sign

/// `dnsaudit dkim sign`: reads a message on stdin and writes it, signed, to stdout.
struct DKIMSignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a message (a file, or stdin); write the signed message to stdout.",
        usage: "dnsaudit dkim sign --domain D --selector S --key KEY [<options>] [<file>]",
        discussion: """
            Repeat --key (with --selector, and --domain, --algorithm, --headers, --canonicalization \
            when they differ) to add several signatures in one pass, e.g. RSA and Ed25519 together: \
            Gmail does not verify Ed25519. An option given once applies to every signature.

            The output has CRLF line endings (a message with bare LF line endings is converted): \
            CRLF is the form DKIM signs, and every MTA accepts it. Only DKIM-Signature fields are \
            added; nothing is written unless every signature was made.

            Exit status: 0 signed; 1 the message cannot be signed (no From, several From, a \
            malformed header); 64 usage error (bad option, unreadable key).
            """ + HelpExamples.sign
    )

    @Argument(help: ArgumentHelp("The message to sign (default: standard input).", valueName: "file"), completion: .file())
    var file: String?

    @OptionGroup var signing: SigningKeyOptions

    @Option(help: "a=: rsa-sha256 or ed25519-sha256; checked against the key (repeatable).")
    var algorithm: [String] = []

    @Option(help: ArgumentHelp("c=: header/body canonicalization (default relaxed/relaxed).", valueName: "header/body"))
    var canonicalization: [String] = []

    @Option(help: "i=: the signing identity, in the domain or a subdomain.")
    var identity: String?

    @Option(help: ArgumentHelp("x=: the signatures expire this many seconds after signing.", valueName: "seconds"))
    var expire: Int?

    @Flag(help: "l=: record the body length (lets anyone append text that still verifies; off by default).")
    var bodyLength = false

    @Option(help: ArgumentHelp("t=: the signing time, seconds since 1970 (default: now).", valueName: "unix"))
    var time: Int64?

    func validate() throws {
        guard !signing.key.isEmpty else { throw ValidationError("give at least one --key") }
        try signing.validateCounts(extra: [("--algorithm", algorithm), ("--canonicalization", canonicalization)])
        for value in canonicalization where CanonicalizationPair(value) == nil {
            throw ValidationError("--canonicalization \(value.debugDescription): use simple or relaxed, as header/body")
        }
        for value in algorithm where DKIMSignatureAlgorithm(rawValue: value) == nil || value == "rsa-sha1" {
            throw ValidationError("--algorithm \(value.debugDescription): use rsa-sha256 or ed25519-sha256")
        }
        if let expire, expire <= 0 { throw ValidationError("--expire must be positive") }
        if let identity { try Self.validate(identity: identity, domains: signing.domain) }
    }

    /// i= must be an address in d= or a subdomain of it (RFC 6376 §3.5): a usage error otherwise.
    static func validate(identity: String, domains: [String]) throws {
        guard let at = identity.lastIndex(of: "@"), let identityDomain = try? DomainName(identity[identity.index(after: at)...]) else {
            throw ValidationError("--identity \(identity.debugDescription) is not an address such as user@example.com (RFC 6376 §3.5)")
        }
        for text in domains {
            guard let domain = try? DomainName(text) else { throw ValidationError("--domain \(text.debugDescription) is not a domain name") }
            if identityDomain != domain && !identityDomain.isSubdomain(of: domain) {
                throw ValidationError("--identity \(identity) is outside --domain \(text): i= must be in d= or a subdomain of it (RFC 6376 §3.5)")
            }
        }
    }

    func configurations() throws -> [DKIMSigningConfiguration] {
        try signing.configurations { index, configuration in
            if let name = SigningKeyOptions.pick(algorithm, index), name != configuration.algorithm.rawValue {
                throw ValidationError(
                    "--algorithm \(name) does not fit the \(configuration.key.algorithm.rawValue) key \(signing.key[index])")
            }
            configuration.canonicalization =
                SigningKeyOptions.pick(canonicalization, index).flatMap(CanonicalizationPair.init) ?? .relaxed
            configuration.identity = identity
            configuration.expiresAfter = expire.map { .seconds($0) }
            configuration.bodyLength = bodyLength
        }
    }

    func run() async throws {
        let configurations = try configurations()
        let input = try MessageInput.read(file, command: "dnsaudit dkim sign")
        let now = time.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? Date()
        do {
            let message = try MailMessage(parsing: input)
            let output = try DKIMSigner(configurations).sign(message, now: now)
            for warning in output.warnings { printError("dnsaudit: warning: \(warning.title)") }
            FileHandle.standardOutput.write(Data(output.message.bytes))
        } catch let error as MessageError {
            printError("dnsaudit: cannot sign: \(error)")
            throw ExitCode(ExitStatus.findings)
        } catch let error as DKIMSigningError {
            printError("dnsaudit: \(error)")
            throw ExitCode(ExitStatus.findings)
        }
    }
}

// MARK: - verify

/// `dnsaudit dkim verify`: verifies every DKIM-Signature of a message read from stdin.
struct DKIMVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify every DKIM signature of a message (a file, or stdin).",
        usage: "dnsaudit dkim verify [<file>] [<options>]",
        discussion: """
            Each signature gets its own result: pass, fail, neutral, temperror or permerror \
            (RFC 8601), with the reason.

            Exit status: 0 at least one signature passes; 1 none passes (or there is none); \
            2 none passes and a key lookup failed (temperror: try again); 64 usage error.

            JSON (--format json): {"schemaVersion", "signatures": [{"index", "domain", "selector", "algorithm", \
            "identity", "result", "reason", "keyBits", "testing", "bodyLength"}], "pass": BOOL}.
            """ + HelpExamples.verify
    )

    @Argument(help: ArgumentHelp("The message to verify (default: standard input).", valueName: "file"), completion: .file())
    var file: String?

    @Option(help: ArgumentHelp("Check x= against this time, seconds since 1970 (default: now).", valueName: "unix"))
    var time: Int64?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat.OneResult = .text

    @OptionGroup var resolver: ResolverOptions

    func run() async throws {
        let input = try MessageInput.read(file, command: "dnsaudit dkim verify")
        let message: MailMessage
        do { message = try MailMessage(parsing: input) } catch {
            printError("dnsaudit: not a message: \(error)")
            throw ExitCode(ExitStatus.findings)
        }
        let now = time.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? Date()
        let verifier = DKIMVerifier(
            resolver: try resolver.makeResolver(), timeout: DKIMKeyRecord.lookupTimeout(perQuestion: resolver.questionTimeout))
        let results = await verifier.verify(message, now: now)
        let passed = results.contains { $0.status == .pass }
        if !format.isJSON {
            if results.isEmpty { print("no DKIM-Signature fields") }
            for (number, result) in results.enumerated() {
                var line = "signature \(number + 1): \(result.status.rawValue)"
                if let domain = result.domain { line += " d=\(domain)" }
                if let selector = result.selector { line += " s=\(selector)" }
                if let algorithm = result.algorithm { line += " a=\(algorithm)" }
                if let bits = result.keyBits { line += " (\(bits)-bit key)" }
                print(line + ": " + result.reason)
            }
        } else {
            print(try Self.json(results, passed: passed))
        }
        if passed { return }
        throw ExitCode(results.contains { $0.status == .temperror } ? ExitStatus.incomplete : ExitStatus.findings)
    }

    struct SignatureReport: Encodable {
        struct Length: Encodable {
            var signed: Int
            var canonical: Int
            var unsigned: Int
        }
        var index: Int
        var domain: String?
        var selector: String?
        var algorithm: String?
        var identity: String?
        var result: String
        var reason: String
        var keyBits: Int?
        var testing: Bool
        var bodyLength: Length?
    }

    struct Report: Encodable {
        var schemaVersion = JSONSchema.version
        var signatures: [SignatureReport]
        var pass: Bool
    }

    static func json(_ results: [DKIMResult], passed: Bool) throws -> String {
        let report = Report(
            signatures: results.map {
                SignatureReport(
                    index: $0.fieldIndex, domain: $0.domain, selector: $0.selector, algorithm: $0.algorithm,
                    identity: $0.identity, result: $0.status.rawValue, reason: $0.reason, keyBits: $0.keyBits,
                    testing: $0.testing,
                    bodyLength: $0.bodyLength.map { .init(signed: $0.signed, canonical: $0.canonical, unsigned: $0.unsigned) })
            }, pass: passed)
        let encoder = JSONEncoder.dnsaudit(pretty: false)
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }
}

// MARK: - keygen

/// `dnsaudit dkim keygen`: a new key, and the record to publish, as opendkim-genkey writes them.
struct DKIMKeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate a DKIM key pair: SELECTOR.private (mode 0600) and SELECTOR.txt (the record to publish).",
        usage: "dnsaudit dkim keygen --domain <domain> --selector <selector> [<options>]",
        discussion: """
            Like opendkim-genkey: writes the private key as PEM to SELECTOR.private (mode 0600) and \
            the zone-file line to SELECTOR.txt, both in --directory, with the record split into \
            strings of at most 255 bytes. An existing file is never replaced without --force (then each is \
            replaced whole, never half-written). --out FILE puts the key elsewhere (the .txt \
            goes beside it); --out - writes the key to standard output and nothing else there. The \
            private key is never printed otherwise.

            Exit status: 0 done; 1 a file exists (without --force) or cannot be written; 64 usage error.
            """ + HelpExamples.keygen
    )

    @Option(help: "The signing domain.")
    var domain: String

    @Option(help: "The selector.")
    var selector: String

    @Option(help: "rsa (default) or ed25519.")
    var algorithm: String = "rsa"

    @Option(help: "RSA key size, 1024 to 4096 (default 2048; not for ed25519).")
    var bits: Int?

    @Option(help: ArgumentHelp("Where SELECTOR.private and SELECTOR.txt go (default: the current directory).", valueName: "dir"),
            completion: .directory)
    var directory: String = "."

    @Option(help: ArgumentHelp("Where to write the private key instead of DIR/SELECTOR.private; - for stdout.",
                               valueName: "file"), completion: .file())
    var out: String?

    @Flag(help: "Replace existing files.")
    var force = false

    @Flag(help: "Publish t=y (testing: receivers treat the mail as unsigned).")
    var testing = false

    @Option(help: "Output format: text or json.")
    var format: OutputFormat.OneResult = .text

    var keyAlgorithm: DKIMKeyAlgorithm? { DKIMKeyAlgorithm(rawValue: algorithm.lowercased()) }

    func validate() throws {
        guard let algorithm = keyAlgorithm else { throw ValidationError("--algorithm must be rsa or ed25519") }
        if algorithm == .ed25519, bits != nil { throw ValidationError("--bits is for RSA keys; an Ed25519 key is always 256 bits") }
        if algorithm == .rsa, let bits, !(1024...4096).contains(bits) { throw ValidationError("--bits must be 1024 to 4096") }
        let domain = try DomainInput.domainName(self.domain).description
        do { _ = try DomainName("\(selector)._domainkey.\(domain)") } catch {
            throw ValidationError("\(selector)._domainkey.\(domain) is not a valid name: \(error)")
        }
        guard !selector.contains("/") else { throw ValidationError("--selector \(selector.debugDescription) cannot name a file") }
        if out == "-", format.isJSON {
            throw ValidationError("--out - writes the private key to standard output; it cannot share it with --format json")
        }
    }

    /// Where the key and the record go.
    var paths: (key: String?, record: String) {
        if let out, out != "-" {
            return (out, (out as NSString).deletingPathExtension + ".txt")
        }
        let folder = directory == "." ? "" : directory.hasSuffix("/") ? directory : directory + "/"
        return (out == "-" ? nil : folder + selector + ".private", folder + selector + ".txt")
    }

    func run() async throws {
        guard let algorithm = keyAlgorithm else { throw ValidationError("--algorithm must be rsa or ed25519") }
        let bits = bits ?? 2048
        if algorithm == .rsa, bits < 2048 {
            printError("dnsaudit: warning: an RSA key of \(bits) bits is weak (RFC 8301 §3.2 asks for at least 2048); some receivers will not trust it")
        }
        let generated = try DKIMGeneratedKey.generate(
            domain: try DomainInput.domainName(domain).description, selector: selector, algorithm: algorithm, bits: bits,
            testing: testing)
        let (keyPath, recordPath) = paths
        var files: [(path: String, bytes: [UInt8], mode: mode_t)] = [
            (recordPath, Array((generated.zoneFileLine + "\n").utf8), 0o644)
        ]
        if let keyPath { files.insert((keyPath, Array(generated.privateKeyPEM.utf8), 0o600), at: 0) }
        do { try SafeFileWriter.write(files, replacing: force) } catch {
            printError("dnsaudit: \(error)")
            throw ExitCode(ExitStatus.findings)
        }
        if keyPath == nil {
            // --out -: the key alone on standard output; what was done goes to standard error.
            FileHandle.standardOutput.write(Data(generated.privateKeyPEM.utf8))
            printError("dnsaudit: the record to publish at \(generated.recordName) is in \(recordPath)")
            return
        }
        if !format.isJSON {
            print("; private key written to \(keyPath ?? "-") (mode 0600); the record to publish is in \(recordPath)")
            print("; publish this TXT record at \(generated.recordName)")
            print(generated.zoneFileLine)
        } else {
            struct Output: Encodable {
                var schemaVersion = JSONSchema.version
                var privateKeyFile, recordFile, name, record: String
                var strings: [String]
                var zoneFileLine: String
            }
            let output = Output(
                privateKeyFile: keyPath ?? "-", recordFile: recordPath, name: generated.recordName, record: generated.record.text,
                strings: generated.txtStrings, zoneFileLine: generated.zoneFileLine)
            print(String(decoding: try JSONEncoder.dnsaudit().encode(output), as: UTF8.self))
        }
    }
}

// MARK: - testkey

/// `dnsaudit dkim testkey`: checks a published key, as opendkim-testkey does.
struct DKIMTestkeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testkey",
        abstract: "Fetch SELECTOR._domainkey.DOMAIN and check it, and that it matches a private key.",
        usage: "dnsaudit dkim testkey --domain <domain> --selector <selector> [<options>]",
        discussion: """
            Exit status, as for the audit: 0 the key is published, valid, (with --key) matches, and no \
            finding is at or above --fail-on; 1 missing, invalid, a different key, or a finding at or \
            above --fail-on (a key in testing, t=y, is an error: receivers treat its mail as unsigned; \
            RSA under 2048 bits a warning); 2 the lookup failed (try again); 64 usage error.
            """ + HelpExamples.testkey
    )

    @Option(help: "The signing domain.")
    var domain: String

    @Option(help: "The selector.")
    var selector: String

    @Option(help: ArgumentHelp("The private key to compare with (PEM or base64 Ed25519 seed).", valueName: "file"), completion: .file())
    var key: String?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat.OneResult = .text

    @OptionGroup var resolver: ResolverOptions

    @OptionGroup var failOn: FailOnOptions

    func run() async throws {
        let privateKey = try key.map(SigningKeyOptions.loadKey(path:))
        let checker = DKIMKeyChecker(
            resolver: try resolver.makeResolver(), timeout: DKIMKeyRecord.lookupTimeout(perQuestion: resolver.questionTimeout))
        let asciiDomain = try DomainInput.domainName(domain).description
        var result = await checker.check(domain: asciiDomain, selector: selector, privateKey: privateKey)
        // The audit's severities, so that --fail-on means the same here as there.
        result.lints = result.lints.map(AuditSeverity.dkimKeyLint)
        if !format.isJSON {
            print("\(result.recordName): \(result.status.rawValue): \(result.message)")
            for lint in result.lints { print("  \(lint.severity.rawValue): \(lint.title)") }
        } else {
            struct Lint: Encodable { var id, level, message: String }
            struct Output: Encodable {
                var schemaVersion = JSONSchema.version
                var name, status, message: String
                var lints: [Lint]
                var record: String?
                var keyBits: Int?
            }
            let output = Output(
                name: result.recordName, status: result.status.rawValue, message: result.message,
                lints: result.lints.map { Lint(id: $0.id, level: $0.severity.rawValue, message: $0.title) },
                record: result.recordText, keyBits: result.keyBits)
            print(String(decoding: try JSONEncoder.dnsaudit().encode(output), as: UTF8.self))
        }
        switch result.status {
        case .ok: try failOn.exit(findings: result.lints, incomplete: false)
        case .dnsFailure: throw ExitCode(ExitStatus.incomplete)
        default: throw ExitCode(ExitStatus.findings)
        }
    }
}
