/// A question: a name and a type (class IN is implied; mail authentication asks nothing else).
public struct DNSQuestion: Sendable, Hashable, Codable, CustomStringConvertible {
    public var name: DomainName { didSet { hashCode = Self.hashCode(name, type) } }
    public var type: RecordType { didSet { hashCode = Self.hashCode(name, type) } }
    /// Questions are dictionary keys several times per lookup (cache, in-flight lookups): the
    /// name's labels are hashed once, here.
    private var hashCode: Int

    public init(_ name: DomainName, _ type: RecordType) {
        self.name = name
        self.type = type
        hashCode = Self.hashCode(name, type)
    }

    private static func hashCode(_ name: DomainName, _ type: RecordType) -> Int {
        var hasher = Hasher()
        hasher.combine(name)
        hasher.combine(type)
        return hasher.finalize()
    }

    public static func == (lhs: DNSQuestion, rhs: DNSQuestion) -> Bool {
        lhs.hashCode == rhs.hashCode && lhs.type == rhs.type && lhs.name == rhs.name
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(hashCode) }

    private enum CodingKeys: String, CodingKey { case name, type }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(try container.decode(DomainName.self, forKey: .name), try container.decode(RecordType.self, forKey: .type))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(type, forKey: .type)
    }

    public var description: String { "\(name.fullyQualified) \(type)" }
}

extension Duration {
    /// The duration in whole nanoseconds (timers, socket waits and reports all want plain numbers).
    package var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The duration in milliseconds, with fractions.
    package var milliseconds: Double { Double(nanoseconds) / 1_000_000 }
}

/// How an answer reached us.
public enum DNSTransport: String, Sendable, Hashable, Codable {
    /// UDP, and the answer fitted.
    case udp
    /// TCP, after a UDP answer came back truncated (TC=1), or because TCP was asked for.
    case tcp
    /// From zone data held in memory or read from a zone file; no network.
    case zone
}

/// A completed DNS lookup: the name exists with records of the type, exists without them, or does
/// not exist. A failure to get an answer is never a response; it is a thrown ``DNSError``.
public struct DNSResponse: Sendable, Hashable {
    /// The three outcomes a server can give to a question (RFC 2308 §2).
    public enum Outcome: String, Sendable, Hashable, Codable {
        /// NOERROR with at least one record of the asked type (after following CNAMEs).
        case answer
        /// NOERROR and no record of the asked type: the name exists (RFC 2308 §2.2, "NODATA").
        case nodata
        /// RCODE 3: the name does not exist (RFC 2308 §2.1, "NXDOMAIN").
        case nxdomain
    }

    // The fields live in one copy-on-write box: a response is copied at every layer between the
    // socket and the evaluator (cache, deadline, retries), and a copy then costs one retain and
    // a pointer in each async frame, where the fields cost a retain each and about 150 bytes.
    // What a cache sets (`fromCache`, `cacheExpiry`) stays outside: its hits share the box.
    private struct Fields: Hashable, Sendable {
        var question: DNSQuestion
        var outcome: Outcome
        var records: [ResourceRecord]
        var cnameChain: [DomainName]
        var rcode: ResponseCode
        var authenticatedData: Bool
        var truncatedOverUDP: Bool
        var authoritativeAnswer: Bool
        var transport: DNSTransport
        var server: String
        var elapsed: Duration
        var negativeTTL: UInt32?
    }

    private final class Storage: @unchecked Sendable {
        var fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var storage: Storage

    /// The fields to change, in a box of this response's own (copied first if another shares it).
    private var unique: Storage {
        mutating get {
            if !isKnownUniquelyReferenced(&storage) { storage = Storage(storage.fields) }
            return storage
        }
    }

    public var question: DNSQuestion {
        get { storage.fields.question }
        _modify { yield &unique.fields.question }
    }
    public var outcome: Outcome {
        get { storage.fields.outcome }
        _modify { yield &unique.fields.outcome }
    }
    /// Records of the asked type owned by the final name of the CNAME chain (or by the question
    /// name when there is no chain). Empty unless ``outcome`` is `.answer`.
    public var records: [ResourceRecord] {
        get { storage.fields.records }
        _modify { yield &unique.fields.records }
    }
    /// The names that CNAMEs led to, in order (empty when the name had no CNAME).
    public var cnameChain: [DomainName] {
        get { storage.fields.cnameChain }
        _modify { yield &unique.fields.cnameChain }
    }
    /// The response code the server gave.
    public var rcode: ResponseCode {
        get { storage.fields.rcode }
        _modify { yield &unique.fields.rcode }
    }
    /// The AD flag: a validating resolver vouched for the answer with DNSSEC (RFC 4035 §3.2.3).
    public var authenticatedData: Bool {
        get { storage.fields.authenticatedData }
        _modify { yield &unique.fields.authenticatedData }
    }
    /// Whether the UDP answer was truncated (TC=1), which made us ask again over TCP.
    public var truncatedOverUDP: Bool {
        get { storage.fields.truncatedOverUDP }
        _modify { yield &unique.fields.truncatedOverUDP }
    }
    /// The AA flag: the server is an authority for the name (RFC 1035 §4.1.1). Answers from zone
    /// data count as authoritative.
    public var authoritativeAnswer: Bool {
        get { storage.fields.authoritativeAnswer }
        _modify { yield &unique.fields.authoritativeAnswer }
    }
    /// How the final answer arrived.
    public var transport: DNSTransport {
        get { storage.fields.transport }
        _modify { yield &unique.fields.transport }
    }
    /// The server that answered (`127.0.0.1:53`), or a description of the zone data.
    public var server: String {
        get { storage.fields.server }
        _modify { yield &unique.fields.server }
    }
    /// Time from the first packet sent to the answer (zero for zone data).
    public var elapsed: Duration {
        get { storage.fields.elapsed }
        _modify { yield &unique.fields.elapsed }
    }
    /// For a negative answer, how long it may be cached (SOA minimum, RFC 2308 §5).
    public var negativeTTL: UInt32? {
        get { storage.fields.negativeTTL }
        _modify { yield &unique.fields.negativeTTL }
    }
    /// Whether this response came from a ``CachingResolver``'s cache rather than a fresh lookup.
    public var fromCache: Bool
    /// When a ``CachingResolver`` drops this answer from its cache (`nil` when it did not cache
    /// it): what is derived from the answer is valid until then. Not part of equality.
    package var cacheExpiry: ContinuousClock.Instant? {
        get { expiryOffset == Self.noExpiry ? nil : Self.epoch + .nanoseconds(expiryOffset) }
        set { expiryOffset = newValue.map { (Self.epoch.duration(to: $0)).nanoseconds } ?? Self.noExpiry }
    }
    // `cacheExpiry` in nanoseconds from `epoch`: one word, so that a response stays within three
    // words. At four (the instant as it is), the bulk check_host benchmark took 14% more CPU;
    // three words is what an existential holds inline (which container spilled was not traced).
    private var expiryOffset = DNSResponse.noExpiry
    private static let noExpiry = Int64.min
    private static let epoch = ContinuousClock.now

    public init(
        question: DNSQuestion, outcome: Outcome, records: [ResourceRecord] = [], cnameChain: [DomainName] = [],
        rcode: ResponseCode? = nil, authenticatedData: Bool = false, truncatedOverUDP: Bool = false,
        transport: DNSTransport, server: String, elapsed: Duration = .zero, negativeTTL: UInt32? = nil,
        fromCache: Bool = false, authoritativeAnswer: Bool? = nil
    ) {
        storage = Storage(Fields(
            question: question, outcome: outcome, records: records, cnameChain: cnameChain,
            rcode: rcode ?? (outcome == .nxdomain ? .nameError : .noError), authenticatedData: authenticatedData,
            truncatedOverUDP: truncatedOverUDP, authoritativeAnswer: authoritativeAnswer ?? (transport == .zone),
            transport: transport, server: server, elapsed: elapsed, negativeTTL: negativeTTL))
        self.fromCache = fromCache
    }

    /// Every field but ``cacheExpiry`` (the same answer, cached or not, compares equal; ``fromCache``
    /// tells them apart).
    public static func == (lhs: DNSResponse, rhs: DNSResponse) -> Bool {
        lhs.fromCache == rhs.fromCache && (lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.fields)
        hasher.combine(fromCache)
    }

    /// The name that owns ``records``: the end of the CNAME chain, or the question name.
    public var canonicalName: DomainName { cnameChain.last ?? question.name }

    /// TXT data of the records, in the order received.
    public var txt: [TXTData] {
        records.compactMap { if case .txt(let txt) = $0.data { txt } else { nil } }
    }

    /// IPv4 addresses of A records.
    public var ipv4: [IPv4Address] {
        records.compactMap { if case .a(let address) = $0.data { address } else { nil } }
    }

    /// IPv6 addresses of AAAA records.
    public var ipv6: [IPv6Address] {
        records.compactMap { if case .aaaa(let address) = $0.data { address } else { nil } }
    }

    /// A and AAAA addresses together.
    public var addresses: [IPAddress] { ipv4.map(IPAddress.v4) + ipv6.map(IPAddress.v6) }

    /// MX records as (preference, exchange), in the order received.
    public var mx: [(preference: UInt16, exchange: DomainName)] {
        records.compactMap { if case .mx(let p, let e) = $0.data { (p, e) } else { nil } }
    }

    /// Target names of PTR, CNAME, DNAME or NS records.
    public var names: [DomainName] {
        records.compactMap {
            switch $0.data {
            case .ptr(let name), .cname(let name), .dname(let name), .ns(let name): name
            default: nil
            }
        }
    }

    /// The smallest TTL among the records (used by caches); `nil` when there are none.
    public var minimumTTL: UInt32? { records.lazy.map(\.ttl).min() }
}
