import DNSCore
import MailAuthCore

/// An MTA-STS policy file (RFC 8461 §3.2), parsed from the bytes of
/// `https://mta-sts.<domain>/.well-known/mta-sts.txt`, with a finding for every violation.
///
/// ```
/// sts-policy-record = sts-policy-field *WSP *(sts-policy-term-delim sts-policy-field *WSP) [sts-policy-term-delim]
/// sts-policy-term-delim = CRLF / LF
/// field-delim = ":" *WSP
/// sts-policy-mode-value = "testing" / "enforce" / "none"
/// sts-policy-mx-value = ["*."] Domain
/// sts-policy-max-age-value = 1*10(DIGIT)
/// ```
///
/// The fetch (HTTPS, no redirects, status 200, `text/plain`, at most 64 KiB, RFC 8461 §3.3)
/// waits for the TLS layer; this is the part after it.
public struct MTASTSPolicy: Sendable, Hashable {
    /// `mode` (RFC 8461 §5).
    public enum Mode: String, Sendable, Hashable, Codable {
        /// Deliver only over TLS to a matching MX with a valid certificate.
        case enforce
        /// Deliver anyway; report failures (TLS-RPT).
        case testing
        /// The domain has no active policy (the way to withdraw one, §8.3).
        case none
    }

    /// `version`: `STSv1` is the only one (§3.2).
    public var version: String?
    public var mode: Mode?
    /// `max_age`, seconds (at most ``maximumMaxAge``).
    public var maxAge: UInt32?
    /// `mx` patterns, in order (`mail.example.com`, `*.example.net`).
    public var mx: [String]
    /// Every violation found, with the line it is on.
    public var findings: [Finding]

    /// The largest `max_age`: 31557600 seconds, about a year (§3.2).
    public static let maximumMaxAge: UInt32 = 31_557_600
    /// Below this `max_age` (one day), a policy gives little protection: §3.2 expects "weeks or
    /// greater" so an attacker cannot wait for the cached policy to expire.
    public static let shortMaxAge: UInt32 = 86_400
    /// The most a policy may be (§3.3: "a size limit of 64 KiB").
    public static let maximumSize = 65_536

    /// Ids of the findings parsing and matching give.
    public static let findingIDs = [
        "mta-sts.policy-too-large", "mta-sts.policy-not-utf8", "mta-sts.policy-bad-line", "mta-sts.policy-version",
        "mta-sts.policy-mode", "mta-sts.policy-max-age", "mta-sts.policy-max-age-short", "mta-sts.policy-mx-missing",
        "mta-sts.policy-mx-invalid", "mta-sts.policy-duplicate-field", "mta-sts.mx-not-covered", "mta-sts.id-unchanged",
    ]

    /// Parses a policy body. Never throws: every problem is a finding, and what could be read is kept.
    public init(parsing body: [UInt8]) {
        mx = []
        findings = []
        guard body.count <= Self.maximumSize else {
            findings.append(Self.finding(
                "mta-sts.policy-too-large", .error, "MTA-STS policy is larger than 64 KiB",
                "The policy is \(body.count) bytes; senders stop reading at 64 KiB and treat it as invalid.", rfc: "RFC 8461 §3.3",
                fix: "Keep the policy to its four fields."))
            return
        }
        guard let text = String(validating: body, as: UTF8.self) else {
            findings.append(Self.finding(
                "mta-sts.policy-not-utf8", .error, "MTA-STS policy is not UTF-8 text", "The body has bytes that are not UTF-8.",
                rfc: "RFC 8461 §3.2", fix: "Serve the policy as plain ASCII text."))
            return
        }
        var seen: Set<String> = []
        // LF or CRLF ends a line (RFC 8461 erratum 6253); a trailing delimiter is allowed. Split
        // on bytes: in a Swift String, CRLF is one Character, not a "\n".
        var lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        for (index, line) in lines.enumerated() {
            let number = index + 1
            guard let colon = line.firstIndex(of: ":") else {
                findings.append(Self.finding(
                    "mta-sts.policy-bad-line", .error, "MTA-STS policy line \(number) is not `key: value`",
                    "Line \(number) (\(String(line.prefix(80)).debugDescription)) has no colon.", rfc: "RFC 8461 §3.2",
                    fix: "Write each field as `key: value` on its own line."))
                continue
            }
            let key = String(line[..<colon])
            // field-delim = ":" *WSP, and *WSP after the value.
            let value = String(line[line.index(after: colon)...]).trimmingWSP()
            if key != "mx", !seen.insert(key).inserted, ["version", "mode", "max_age"].contains(key) {
                findings.append(Self.finding(
                    "mta-sts.policy-duplicate-field", .warning, "MTA-STS policy repeats `\(key)`",
                    "`\(key)` appears again on line \(number); senders may read either.", rfc: "RFC 8461 §3.2",
                    fix: "Keep one `\(key)` line."))
                continue
            }
            switch key {
            case "version": version = value
            case "mode":
                mode = Mode(rawValue: value)
                if mode == nil {
                    findings.append(Self.finding(
                        "mta-sts.policy-mode", .error, "MTA-STS policy mode is not enforce, testing or none",
                        "Line \(number): mode \(value.debugDescription). Values are case-sensitive.", rfc: "RFC 8461 §3.2",
                        fix: "Use `mode: testing` while checking reports, then `mode: enforce`."))
                }
            case "max_age":
                if value.isEmpty || value.count > 10 || !value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                    findings.append(Self.finding(
                        "mta-sts.policy-max-age", .error, "MTA-STS max_age is not a number of seconds",
                        "Line \(number): max_age \(value.debugDescription) is not 1 to 10 digits.", rfc: "RFC 8461 §3.2",
                        fix: "Use `max_age: 604800` (a week) or more."))
                } else if let seconds = UInt64(value), seconds <= UInt64(Self.maximumMaxAge) {
                    maxAge = UInt32(seconds)
                } else {
                    findings.append(Self.finding(
                        "mta-sts.policy-max-age", .error, "MTA-STS max_age is over a year",
                        "Line \(number): max_age \(value) exceeds 31557600 seconds; senders treat the policy as invalid.",
                        rfc: "RFC 8461 §3.2", fix: "Use at most `max_age: 31557600`."))
                }
            case "mx":
                if Self.isValidPattern(value) {
                    mx.append(value)
                } else {
                    findings.append(Self.finding(
                        "mta-sts.policy-mx-invalid", .error, "MTA-STS mx pattern is not a host name or `*.` wildcard",
                        "Line \(number): mx \(value.debugDescription). A wildcard is `*.` before a domain, nothing else.",
                        rfc: "RFC 8461 §3.2", fix: "List each MX host (`mx: mail.example.com`) or `mx: *.example.com`."))
                }
            default:
                break  // sts-policy-extension: ignored (§3.2)
            }
        }
        if version != "STSv1" {
            findings.append(Self.finding(
                "mta-sts.policy-version", .error, "MTA-STS policy version is not STSv1",
                version.map { "version is \($0.debugDescription)." } ?? "The policy has no version line.", rfc: "RFC 8461 §3.2",
                fix: "Start the policy with `version: STSv1`."))
        }
        if mode == nil && !findings.contains(where: { $0.id == "mta-sts.policy-mode" }) {
            findings.append(Self.finding(
                "mta-sts.policy-mode", .error, "MTA-STS policy has no mode", "The policy has no mode line.", rfc: "RFC 8461 §3.2",
                fix: "Add `mode: testing` or `mode: enforce`."))
        }
        if maxAge == nil && !findings.contains(where: { $0.id == "mta-sts.policy-max-age" }) {
            findings.append(Self.finding(
                "mta-sts.policy-max-age", .error, "MTA-STS policy has no max_age", "The policy has no max_age line.",
                rfc: "RFC 8461 §3.2", fix: "Add `max_age: 604800` (a week) or more."))
        }
        if let maxAge, maxAge < Self.shortMaxAge, mode != MTASTSPolicy.Mode.none {
            findings.append(Self.finding(
                "mta-sts.policy-max-age-short", .warning, "MTA-STS max_age is under a day",
                "max_age \(maxAge) s: senders refetch so often that an attacker can wait for the policy to expire.",
                rfc: "RFC 8461 §3.2", fix: "Use weeks: `max_age: 604800` or more."))
        }
        if mx.isEmpty, mode == .enforce || mode == .testing {
            findings.append(Self.finding(
                "mta-sts.policy-mx-missing", .error, "MTA-STS policy lists no mx",
                "In mode \(mode?.rawValue ?? "?") senders deliver only to MX hosts the policy lists, and it lists none.",
                rfc: "RFC 8461 §3.2", fix: "Add an `mx:` line for each MX host."))
        }
    }

    /// Whether `pattern` is `Domain` or `*.` followed by one (RFC 8461 §3.2).
    static func isValidPattern(_ pattern: String) -> Bool {
        let domain = pattern.hasPrefix("*.") ? String(pattern.dropFirst(2)) : pattern
        guard !domain.isEmpty, !domain.contains("*"), let name = try? DomainName(domain) else { return false }
        return name.labels.count >= 1
    }

    /// Whether `host` matches `pattern` (RFC 8461 §4.1): equal ignoring case and a trailing dot,
    /// or, for `*.domain`, `host` is exactly one label more than `domain` ("the wildcard matches
    /// only the leftmost label": `*.example.com` covers `mx.example.com`, not `a.b.example.com`
    /// nor `example.com`).
    public static func matches(_ host: DomainName, pattern: String) -> Bool {
        if pattern.hasPrefix("*.") {
            guard let domain = try? DomainName(String(pattern.dropFirst(2))) else { return false }
            return host.labels.count == domain.labels.count + 1 && host.parent == domain
        }
        guard let name = try? DomainName(pattern) else { return false }
        return host == name
    }

    /// Whether some `mx` pattern of the policy matches `host`.
    public func covers(_ host: DomainName) -> Bool { mx.contains { Self.matches(host, pattern: $0) } }

    /// A finding for each MX host no pattern matches: in enforce mode, mail to it is not
    /// delivered by MTA-STS senders (RFC 8461 §4.1, §5.1).
    public func uncovered(_ hosts: [DomainName]) -> [Finding] {
        let missing = hosts.filter { !covers($0) }
        guard !missing.isEmpty, mode != MTASTSPolicy.Mode.none else { return [] }
        let twoLabels = missing.filter { host in
            mx.contains { pattern in
                guard pattern.hasPrefix("*."), let domain = try? DomainName(String(pattern.dropFirst(2))) else { return false }
                return host.isSubdomain(of: domain) && host.labels.count > domain.labels.count + 1
            }
        }
        return [Self.finding(
            "mta-sts.mx-not-covered", mode == .enforce ? .error : .warning, "MX hosts not covered by the MTA-STS policy",
            "\(missing.map(\.description).joined(separator: ", ")) match no mx pattern (\(mx.joined(separator: ", ")))"
                + (twoLabels.isEmpty ? "" : "; a `*.` wildcard covers exactly one label, so it does not cover \(twoLabels.map(\.description).joined(separator: ", "))")
                + (mode == .enforce ? ": MTA-STS senders will not deliver to them." : ": in enforce mode, MTA-STS senders would not deliver to them."),
            evidence: missing.map(\.description), rfc: "RFC 8461 §4.1",
            fix: "Add an `mx:` line for each of them (a wildcard `*.domain` covers one label only).")]
    }

    /// The `id=` hint (RFC 8461 §3.1): senders refetch the policy only when the TXT record's id
    /// changes, so a changed policy under the same id is not seen until `max_age` runs out.
    public static func idUnchanged(
        previousID: String, previousPolicy: MTASTSPolicy, currentID: String, currentPolicy: MTASTSPolicy
    ) -> Finding? {
        guard previousID == currentID, previousPolicy.fieldsDiffer(from: currentPolicy) else { return nil }
        return finding(
            "mta-sts.id-unchanged", .warning, "MTA-STS policy changed but the TXT id did not",
            "The policy changed while `_mta-sts` still says id=\(currentID): senders that cached it keep the old one for up to max_age.",
            rfc: "RFC 8461 §3.1", fix: "Publish a new id= (a timestamp such as 20261203T1200) whenever the policy changes.")
    }

    private func fieldsDiffer(from other: MTASTSPolicy) -> Bool {
        version != other.version || mode != other.mode || maxAge != other.maxAge || mx != other.mx
    }

    static func finding(
        _ id: String, _ severity: Severity, _ title: String, _ detail: String, rfc: String, fix: String
    ) -> Finding {
        Finding(id: id, severity: severity, title: title, detail: detail, rfc: rfc, fix: fix)
    }

    static func finding(
        _ id: String, _ severity: Severity, _ title: String, _ detail: String, evidence: [String], rfc: String,
        fix: String
    ) -> Finding {
        Finding(id: id, severity: severity, title: title, detail: detail, evidence: evidence, rfc: rfc, fix: fix)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (WSP, RFC 5234).
    fileprivate func trimmingWSP() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
