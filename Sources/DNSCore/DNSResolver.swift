/// Anything that answers DNS questions: ldns on the network, a zone file, memory, a cache.
///
/// Every evaluator (SPF, DKIM, DMARC, the audit) takes one of these and opens no socket itself.
/// Implementations must be safe to call from many tasks at once and must honour cancellation.
public protocol DNSResolver: Sendable {
    /// Asks one question, following CNAMEs (RFC 1034 §3.6.2).
    ///
    /// - Returns: an answer, NODATA or NXDOMAIN (``DNSResponse/Outcome``).
    /// - Throws: ``DNSError`` when no usable answer arrived: SERVFAIL, REFUSED, timeout, network
    ///   error, malformed answer. A failure is never reported as a missing record.
    func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse

    /// A short description for reports (`ldns 127.0.0.1:53`, `zone example.zone`).
    var resolverDescription: String { get }
}

extension DNSResolver {
    /// Asks for `type` records at `name`.
    public func query(_ name: DomainName, _ type: RecordType) async throws(DNSError) -> DNSResponse {
        try await query(DNSQuestion(name, type))
    }
}

extension DNSError.Kind {
    /// Whether no server replied at all: a timeout, a network error, or no server to ask. Any
    /// reply, even SERVFAIL, REFUSED or a referral, means a server is there.
    public var meansNoReply: Bool {
        switch self {
        case .timeout, .network, .noNameserver: true
        default: false
        }
    }
}

extension DNSResolver {
    /// Asks `question` once, to learn whether the resolver's servers reply at all.
    ///
    /// - Returns: the error when no server replied (``DNSError/Kind/meansNoReply``); `nil` when
    ///   one did, whatever it said. A caller about to ask many questions uses this to report a
    ///   dead resolver once, instead of blaming every domain for it.
    public func firstNoReply(asking question: DNSQuestion) async -> DNSError? {
        guard case .failure(let error) = await result(of: question), error.kind.meansNoReply else { return nil }
        return error
    }
}
