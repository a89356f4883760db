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

/// A decorator that fails every query once an overall deadline has passed.
///
/// Evaluations (RFC 7208 §4.6.4 suggests 20 s for SPF) wrap their resolver in one of these so no
/// input, however hostile, can make them run longer than the deadline.
public struct DeadlineResolver: DNSResolver {
    public let base: any DNSResolver
    public let deadline: ContinuousClock.Instant

    public init(_ base: any DNSResolver, deadline: ContinuousClock.Instant) {
        self.base = base
        self.deadline = deadline
    }

    public init(_ base: any DNSResolver, timeout: Duration) {
        self.init(base, deadline: .now + timeout)
    }

    public var resolverDescription: String { base.resolverDescription }

    public func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        if ContinuousClock.now >= deadline {
            throw DNSError(.deadlineExceeded, question: question, detail: "the evaluation's deadline passed")
        }
        let base = self.base
        let deadline = self.deadline
        let result = await withTaskGroup(of: Result<DNSResponse, DNSError>?.self) { group in
            group.addTask {
                do throws(DNSError) { return .success(try await base.query(question)) } catch { return .failure(error) }
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        switch result {
        case .success(let response): return response
        case .failure(let error): throw error
        case nil: throw DNSError(.deadlineExceeded, question: question, detail: "the evaluation's deadline passed")
        }
    }
}
