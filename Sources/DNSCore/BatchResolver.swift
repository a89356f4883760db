/// A resolver that asks many questions at once more cheaply than one by one.
///
/// An audit probes some two dozen DKIM selectors per domain. Asked one task per question, each
/// probe pays for a task, a send and a wake-up of its own; a batch goes out together (one
/// `sendmmsg` on the network) and its caller is woken once, when every answer is in.
package protocol BatchResolver: DNSResolver {
    /// Answers every question in `questions`, in order, each as ``DNSResolver/query(_:)`` would;
    /// once `deadline` fires, the questions still open fail with
    /// ``DNSError/Kind/deadlineExceeded``.
    func queryAll(_ questions: [DNSQuestion], within deadline: DeadlineSignal?) async -> [Result<DNSResponse, DNSError>]
}

extension DNSResolver {
    /// Asks every question in `questions` concurrently and returns the results in order:
    /// as one batch when this resolver can take one, else one child task per question.
    package func queryAll(
        _ questions: [DNSQuestion], boundedBy deadline: DeadlineSignal? = nil
    ) async -> [Result<DNSResponse, DNSError>] {
        if let batch = self as? any BatchResolver { return await batch.queryAll(questions, within: deadline) }
        return await queryConcurrently(questions, boundedBy: deadline)
    }

    /// One child task per question; results in order.
    package func queryConcurrently(
        _ questions: [DNSQuestion], boundedBy deadline: DeadlineSignal?
    ) async -> [Result<DNSResponse, DNSError>] {
        if questions.count == 1 { return [await result(of: questions[0], boundedBy: deadline)] }
        return await withTaskGroup(of: (Int, Result<DNSResponse, DNSError>).self) { group in
            for (index, question) in questions.enumerated() {
                group.addTask { (index, await result(of: question, boundedBy: deadline)) }
            }
            var results = [Result<DNSResponse, DNSError>?](repeating: nil, count: questions.count)
            for await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }

    /// `query(question)`, bounded by `deadline` if there is one, as a value.
    package func result(of question: DNSQuestion, boundedBy deadline: DeadlineSignal? = nil) async -> Result<DNSResponse, DNSError> {
        do throws(DNSError) {
            if let deadline { return .success(try await query(question, boundedBy: deadline)) }
            return .success(try await query(question))
        } catch {
            return .failure(error)
        }
    }
}
