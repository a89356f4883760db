import DNSCore

/// The keys validation starts from (RFC 4033 §2, "trust anchor"): DS or DNSKEY records, each
/// for the zone that owns it. Usually the root's, from dns-root-data's `/usr/share/dns/root.key`.
public struct DNSSECTrustAnchors: Sendable, Hashable {
    /// The anchors' records (DS or DNSKEY), by zone.
    public let records: [DomainName: [ResourceRecord]]

    /// Where Debian's dns-root-data package (apt `dns-root-data`) puts the root's anchor.
    public static let systemPath = "/usr/share/dns/root.key"

    /// Why a trust anchor file could not be used.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }

    /// Anchors from records; records other than DS and DNSKEY are ignored.
    public init(_ records: [ResourceRecord]) {
        var byZone: [DomainName: [ResourceRecord]] = [:]
        for record in records where record.type == .ds || record.type == .dnskey {
            byZone[record.name, default: []].append(record)
        }
        self.records = byZone
    }

    /// Reads a file of DS or DNSKEY records in zone-file syntax (`. IN DS 20326 8 2 E06D…`, the
    /// form of `root.key`, `ldns-keygen`'s `.key` and `.ds` files, and unbound-anchor's output).
    ///
    /// - Throws: ``LoadError`` naming the file and the line when it cannot be read or holds no
    ///   DS or DNSKEY record.
    public init(contentsOf path: String) throws(LoadError) {
        let records: [ResourceRecord]
        do {
            records = try ZoneResolver.readZoneFile(path, origin: .root)
        } catch {
            throw LoadError(path: path, message: error.line.map { "line \($0): " } .map { $0 + error.message } ?? error.message)
        }
        self.init(records)
        guard !self.records.isEmpty else {
            throw LoadError(path: path, message: "no DS or DNSKEY record: not a trust anchor file")
        }
    }

    /// The closest zone at or above `name` that has an anchor.
    public func closestAnchor(enclosing name: DomainName) -> DomainName? {
        var candidate: DomainName? = name
        while let current = candidate {
            if records[current] != nil { return current }
            candidate = current.parent
        }
        return nil
    }
}
