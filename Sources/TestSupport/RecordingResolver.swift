import DNSCore
import Foundation

/// Answers from a zone, recording every question that reaches it and every batch it is handed,
/// optionally after a delay: tests use it to count what a cache or an audit really asks.
public final class RecordingResolver: BatchResolver, @unchecked Sendable {
    public let zone: ZoneResolver
    public let delay: Duration
    private let lock = NSLock()
    private var batchesSeen: [[DNSQuestion]] = []
    private var counts: [DNSQuestion: Int] = [:]

    public init(_ zone: ZoneResolver, delay: Duration = .zero) {
        self.zone = zone
        self.delay = delay
    }

    public var resolverDescription: String { "recording " + zone.resolverDescription }

    /// The batches handed to ``queryAll(_:within:)``, in order.
    public var batches: [[DNSQuestion]] { lock.withLock { batchesSeen } }

    /// How many times `question` reached this resolver, alone or in a batch.
    public func count(of question: DNSQuestion) -> Int { lock.withLock { counts[question, default: 0] } }

    /// Questions asked in all.
    public var total: Int { lock.withLock { counts.values.reduce(0, +) } }

    public func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        lock.withLock { counts[question, default: 0] += 1 }
        if delay > .zero { try? await Task.sleep(for: delay) }
        return try await zone.query(question)
    }

    package func queryAll(_ questions: [DNSQuestion], within deadline: DeadlineSignal?) async -> [Result<DNSResponse, DNSError>] {
        lock.withLock {
            batchesSeen.append(questions)
            for question in questions { counts[question, default: 0] += 1 }
        }
        if delay > .zero { try? await Task.sleep(for: delay) }
        return await zone.queryAll(questions, boundedBy: deadline)
    }
}
