import DNSCore
import Foundation

/// Wraps a resolver and records every question that reaches it, in order, and every batch it
/// is handed, optionally after a delay: tests use it to see what a cache, an evaluation or an
/// audit really asks.
public final class RecordingResolver: BatchResolver, @unchecked Sendable {
    public let base: any DNSResolver
    public let delay: Duration
    private let lock = NSLock()
    private var asked: [DNSQuestion] = []
    private var batchesSeen: [[DNSQuestion]] = []

    public init(_ base: any DNSResolver, delay: Duration = .zero) {
        self.base = base
        self.delay = delay
    }

    public var resolverDescription: String { "recording " + base.resolverDescription }

    /// Every question asked, alone or in a batch, in order.
    public var questions: [DNSQuestion] { lock.withLock { asked } }

    /// The batches handed to ``queryAll(_:within:)``, in order.
    public var batches: [[DNSQuestion]] { lock.withLock { batchesSeen } }

    /// How many times `question` was asked.
    public func count(of question: DNSQuestion) -> Int { questions.filter { $0 == question }.count }

    /// Questions asked in all.
    public var total: Int { questions.count }

    public func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        lock.withLock { asked.append(question) }
        if delay > .zero { try? await Task.sleep(for: delay) }
        return try await base.query(question)
    }

    package func queryAll(_ questions: [DNSQuestion], within deadline: DeadlineSignal?) async -> [Result<DNSResponse, DNSError>] {
        lock.withLock {
            batchesSeen.append(questions)
            asked += questions
        }
        if delay > .zero { try? await Task.sleep(for: delay) }
        return await base.queryAll(questions, boundedBy: deadline)
    }
}
