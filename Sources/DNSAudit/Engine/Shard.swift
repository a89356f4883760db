import DNSCore

/// One of N parts of a domain list, chosen by a stable hash of each domain, so N machines can split
/// one list with no coordination: each runs the same list with its own ``index``.
///
/// The hash is **FNV-1a, 64 bits** (offset basis 0xcbf29ce484222325, prime 0x100000001b3), over
/// the UTF-8 bytes of the domain's normalised name: its A-labels, lowercased, joined by `.`, with
/// no trailing dot (`example.com`, `xn--bcher-kva.example`). A domain belongs to shard
/// `hash % count`. The same name lands in the same shard on every machine, every run and every
/// version that keeps this documented hash.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    /// This shard's number, from 0 to `count - 1` (a Kubernetes Indexed Job's
    /// `JOB_COMPLETION_INDEX`).
    public let index: Int
    /// How many shards the list is split into; at least 1.
    public let count: Int

    /// Why a shard description is not valid.
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case notIndexSlashCount(String)
        case indexOutOfRange(index: Int, count: Int)

        public var description: String {
            switch self {
            case .notIndexSlashCount(let text):
                "\"\(text)\" is not INDEX/COUNT (for example 0/4: the first of four shards)"
            case .indexOutOfRange(let index, let count):
                "shard \(index)/\(count): the index must be between 0 and \(count - 1) (shards are numbered from 0)"
            }
        }
    }

    /// - Throws: ``Problem/indexOutOfRange(index:count:)`` unless `0 <= index < count`.
    public init(index: Int, count: Int) throws(Problem) {
        guard count >= 1, (0..<count).contains(index) else { throw .indexOutOfRange(index: index, count: count) }
        self.index = index
        self.count = count
    }

    /// Reads `INDEX/COUNT`, such as `3/16`.
    public init(parsing text: String) throws(Problem) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1 else {
            throw .notIndexSlashCount(text)
        }
        try self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether `domain` belongs to this shard.
    public func contains(_ domain: DomainName) -> Bool {
        Int(Self.hash(domain) % UInt64(count)) == index
    }

    /// The documented FNV-1a 64-bit hash of `domain`'s normalised name.
    public static func hash(_ domain: DomainName) -> UInt64 {
        hash(domain.lowercased.description)
    }

    /// The documented FNV-1a 64-bit hash of `text`'s UTF-8 bytes (a list line that is not a
    /// domain is given to the shard of its text's hash, so exactly one shard reports it).
    public static func hash(_ text: some StringProtocol) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
