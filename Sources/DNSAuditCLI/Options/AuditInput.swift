import DNSAudit
import DNSCore
import Foundation

/// A line of a domain list that is not a domain: reported at its place, and the run goes on.
struct RejectedLine: Error, Sendable, Codable, CustomStringConvertible {
    /// Where the line comes from (`--domains-file list.txt`).
    var source: String
    /// 1-based.
    var line: Int
    /// The line's entry as read (after comment and CSV trimming), empty when unreadable.
    var text: String
    /// What is wrong with it.
    var message: String

    var description: String { "\(source) line \(line): \(message) (skipped)" }
}

/// The domains to audit, read lazily: the arguments, then the lines of a domain list; each
/// domain once (after normalisation: case, trailing dot), only those of the shard, none recorded
/// by an earlier run. A bad line becomes a ``RejectedLine`` entry at its place.
///
/// Memory stays flat whatever the length of the list: it is read in chunks as audits start, and
/// to audit a repeated domain once the input remembers the fingerprints (64-bit SipHash, Swift's
/// `Hasher`) of the last ``RecentNames/capacity`` distinct domains (about 1.5 MB). A domain
/// repeated within that many distinct names is audited once, which covers every hand-kept list
/// and any sorted one; a repeat further down a list of millions is audited again. (Two different
/// domains share a fingerprint with odds of about 2⁻⁴⁸ within the window.)
final class AuditInput {
    struct Tally {
        /// Lines that are not domains.
        var rejected = 0
        /// Domains skipped because `--resume`'s file records them.
        var alreadyRecorded = 0
        /// Domains of other shards.
        var outsideShard = 0
    }

    let arguments: [DomainName]
    let list: DomainList?
    let shard: Shard?
    let recorded: ResumeRecord
    private(set) var tally = Tally()
    private var seen = RecentNames()
    private var nextArgument = 0
    private var lines: DomainList.Iterator?

    init(arguments: [DomainName], list: DomainList?, shard: Shard?, recorded: ResumeRecord) {
        self.arguments = arguments
        self.list = list
        self.shard = shard
        self.recorded = recorded
        lines = list?.makeIterator()
    }

    typealias Entry = Result<DomainName, RejectedLine>

    /// Reads up to and including the first domain to audit; returns it (nil when the input has
    /// none) and the entries to audit, those read and the rest.
    func prefetchFirstDomain() -> (DomainName?, Entries) {
        var read: [Entry] = []
        while let entry = nextEntry() {
            read.append(entry)
            if case .success(let domain) = entry { return (domain, Entries(input: self, read: read)) }
        }
        return (nil, Entries(input: self, read: read))
    }

    /// The next entry to audit, or `nil` at the end of the input.
    func nextEntry() -> Entry? {
        while true {
            let entry: Entry
            if nextArgument < arguments.count {
                entry = .success(arguments[nextArgument])
                nextArgument += 1
            } else if let source = list?.source, let line = lines?.next() {
                guard let parsed = Self.parse(line, source: source) else { continue }
                entry = parsed
            } else {
                return nil
            }
            switch entry {
            case .success(let domain):
                guard seen.insert(domain.hashValue) else { continue }
                if let shard, !shard.contains(domain) {
                    tally.outsideShard += 1
                    continue
                }
                if recorded.contains(domain) {
                    tally.alreadyRecorded += 1
                    continue
                }
            case .failure(let rejection):
                // A bad line belongs to one shard too (by the hash of its text), so the shards'
                // outputs together report it once; a resumed run does not report it again.
                if let shard, Int(Shard.hash(rejection.text) % UInt64(shard.count)) != shard.index { continue }
                if recorded.containsRejection(line: rejection.line) { continue }
                tally.rejected += 1
                printError("dnsaudit: \(rejection)")
            }
            return entry
        }
    }

    /// A list line as an entry: `nil` for a blank or comment line.
    static func parse(_ line: DomainList.Line, source: String) -> Entry? {
        switch line.content {
        case .unreadable(let problem):
            return .failure(RejectedLine(source: source, line: line.number, text: "", message: problem))
        case .text(let text):
            guard let entry = DomainInput.entry(in: text) else { return nil }
            if let problem = DomainInput.singleLabelProblem(entry) {
                return .failure(RejectedLine(source: source, line: line.number, text: entry, message: problem))
            }
            do {
                return .success(try DomainInput.domainName(entry))
            } catch {
                return .failure(RejectedLine(source: source, line: line.number, text: entry, message: "\(error)"))
            }
        }
    }

    /// The entries of an ``AuditInput``, those read ahead first.
    struct Entries: Sequence, IteratorProtocol {
        let input: AuditInput
        var read: [Entry]
        var readStart = 0

        mutating func next() -> Entry? {
            if readStart < read.count {
                readStart += 1
                return read[readStart - 1]
            }
            return input.nextEntry()
        }
    }
}

/// The fingerprints of the last ``capacity`` distinct names: a set with a ring of insertion order,
/// so the oldest is forgotten when a new one comes.
struct RecentNames {
    static let capacity = 65_536
    private var members: Set<Int> = []
    private var ring: [Int] = []
    private var oldest = 0

    /// Adds `fingerprint`; `false` when it is among the recent ones already.
    mutating func insert(_ fingerprint: Int) -> Bool {
        guard !members.contains(fingerprint) else { return false }
        if ring.count < Self.capacity {
            ring.append(fingerprint)
        } else {
            members.remove(ring[oldest])
            ring[oldest] = fingerprint
            oldest = (oldest + 1) % Self.capacity
        }
        members.insert(fingerprint)
        return true
    }
}
