import Foundation

/// The path a message took, from its `Received` fields (RFC 5321 §4.4: each relay prepends one,
/// so the top field is the last hop).
///
/// ``hops`` are in the order the message travelled (the bottom field first), each with the time
/// since the hop before it. A negative delay means the two servers' clocks disagree; it is
/// labelled as clock skew, not hidden.
public struct ReceivedChain: Sendable, Hashable, Codable {
    /// One relay step.
    public struct Hop: Sendable, Hashable, Codable {
        /// 1 for the first relay.
        public var number: Int
        public var field: ReceivedField
        /// Seconds since the previous hop's date; absent for the first hop and when a date is
        /// missing.
        public var delaySeconds: Double?
        /// How to read ``delaySeconds``.
        public var delay: Delay
    }

    /// What a hop's delay says.
    public enum Delay: String, Sendable, Hashable, Codable {
        /// The first hop: nothing before it.
        case first
        /// A normal delay (zero or more seconds).
        case normal
        /// Negative: this server's clock is behind the previous one's (clock skew), not time travel.
        case clockSkew = "clock-skew"
        /// A date on this hop or the previous one could not be read.
        case unknown
    }

    /// The hops, first relay first.
    public var hops: [Hop]

    /// Builds the chain from the Received fields as they appear in the header (top first).
    public init(fields: [ReceivedField]) {
        var hops: [Hop] = []
        var previousDate: Date?
        var isFirst = true
        for (number, field) in fields.reversed().enumerated() {
            var hop = Hop(number: number + 1, field: field, delaySeconds: nil, delay: isFirst ? .first : .unknown)
            if !isFirst, let previousDate, let date = field.date {
                let delay = date.timeIntervalSince(previousDate)
                hop.delaySeconds = delay
                hop.delay = delay < 0 ? .clockSkew : .normal
            }
            isFirst = false
            previousDate = field.date
            hops.append(hop)
        }
        self.hops = hops
    }

    /// Reads every `Received` field of `message`.
    public init(message: MessageText) {
        self.init(fields: message.fields.filter { $0.hasName("Received") }.map { ReceivedField(parsing: $0.value, line: $0.line) })
    }

    /// Seconds from the first hop's date to the last's, when both are known.
    public var totalSeconds: Double? {
        guard let first = hops.first(where: { $0.field.date != nil })?.field.date,
              let last = hops.last(where: { $0.field.date != nil })?.field.date
        else { return nil }
        return last.timeIntervalSince(first)
    }

    /// The first hop (in travel order) received by a host that `isReceiver` accepts: where the
    /// receiving organisation took the message in, the trust boundary.
    public func firstHop(receivedBy isReceiver: (String) -> Bool) -> Hop? {
        hops.first { hop in hop.field.by.map(isReceiver) ?? false }
    }
}
