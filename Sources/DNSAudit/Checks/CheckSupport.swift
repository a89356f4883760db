import DNSCore
import MailAuthCore

/// Something went wrong with DNS while a check ran: the check cannot finish.
struct Incomplete: Error {
    var error: DNSError
}

extension Finding {
    /// The finding every area gives when DNS failures kept it from finishing.
    static func incomplete(_ area: AuditArea, _ error: DNSError, names: Setting.Names) -> Finding {
        if error.kind == .outsideZoneData {
            // An offline check of zone files: the name was never asked, by choice.
            return Finding(
                id: area.incompleteFindingID, severity: .warning,
                title: "\(area.title) not checked: a name lies outside the zone files",
                detail: "\(error.question) was not asked\(error.detail.isEmpty ? "" : " (\(error.detail))"): it lies outside the zone files, and this check is offline. Nothing is known to be missing.",
                rfc: nil,
                fix: "Add the zone file that holds \(error.question.name), or check without \(names[.offline]) so names outside the files are asked over the network.")
        }
        return Finding(
            id: area.incompleteFindingID, severity: .warning,
            title: "\(area.title) could not be checked: DNS failure",
            detail: "\(error). This is not a missing record: the answer never arrived, so nothing is known.",
            rfc: "RFC 2308 §2",
            fix: "Check the domain's nameservers (they must answer for this name), or retry with \(names[.nameserver]).")
    }

    /// The finding an area gives when its record's name (`prefix.<domain>`) would be longer than
    /// DNS allows (253 octets, RFC 1035 §2.3.4), so no such record can be published.
    static func nameTooLong(_ area: AuditArea, prefix: String, domain: DomainName) -> Finding {
        Finding(
            id: "\(area.rawValue).name-too-long", severity: .info,
            title: "\(area.title) record name would be too long",
            detail: "\(prefix).\(domain) is longer than 253 octets, so no \(area.title) record can be published for \(domain).",
            rfc: "RFC 1035 §2.3.4", fix: nil)
    }
}

/// TXT records at a name whose text starts with `prefix` (ASCII case-insensitive), joined.
func txtRecords(_ response: DNSResponse, prefix: String) -> [String] {
    response.txt.map(\.joined).filter { $0.lowercased().hasPrefix(prefix.lowercased()) }
}

/// Asks, turning a DNS failure into ``Incomplete``.
func ask(_ resolver: any DNSResolver, _ name: DomainName, _ type: RecordType) async throws(Incomplete) -> DNSResponse {
    do { return try await resolver.query(name, type) } catch { throw Incomplete(error: error) }
}

/// `key=value` pairs separated by `;` as MTA-STS, TLS-RPT and BIMI records write them
/// (RFC 8461 §3.1, RFC 8460 §3, BIMI draft §4.2): names are case-sensitive, whitespace around
/// separators is allowed.
func semicolonFields(_ text: String) -> [(name: String, value: String)]? {
    var fields: [(String, String)] = []
    for part in text.split(separator: ";", omittingEmptySubsequences: false) {
        let trimmed = part.trimmingWhitespace()
        if trimmed.isEmpty { continue }
        guard let equals = trimmed.firstIndex(of: "=") else { return nil }
        fields.append((String(trimmed[..<equals]).trimmingWhitespace(), String(trimmed[trimmed.index(after: equals)...]).trimmingWhitespace()))
    }
    return fields
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}

extension String {
    /// The lines of a multi-line rendering (a tree), split at each line feed byte: a rendering
    /// is split for every audit, and splitting by `Character` walked it grapheme by grapheme.
    var renderedLines: [String] {
        utf8.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
    }
}
