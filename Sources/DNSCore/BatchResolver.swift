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
            var results = BatchResults(questions)
            for await (index, result) in group { results[index] = result }
            return results.inOrder
        }
    }

    /// `query(question)`, bounded by `deadline` if there is one, as a value: see
    /// ``BoundedBase/result(of:boundedBy:)``, which this is.
    package func result(of question: DNSQuestion, boundedBy deadline: DeadlineSignal? = nil) async -> Result<DNSResponse, DNSError> {
        await BoundedBase(self).result(of: question, boundedBy: deadline)
    }
}

/// The results of a batch of questions, filled in as they arrive, in any order.
///
/// Reading them back cannot trap: a question that no step answered comes back as a
/// ``DNSError/Kind/unanswered`` failure, which callers report like any DNS failure.
package struct BatchResults: Sendable {
    package let questions: [DNSQuestion]
    private var slots: [Result<DNSResponse, DNSError>?]

    package init(_ questions: [DNSQuestion]) {
        self.questions = questions
        slots = Array(repeating: nil, count: questions.count)
    }

    package subscript(index: Int) -> Result<DNSResponse, DNSError>? {
        get { slots[index] }
        set { slots[index] = newValue }
    }

    /// One result per question, in the order of ``questions``.
    package var inOrder: [Result<DNSResponse, DNSError>] {
        zip(questions, slots).map { question, slot in
            slot ?? .failure(DNSError(.unanswered, question: question, detail: "no step of the batch recorded a result"))
        }
    }
}
