import DNSCore

/// The RFC 9989 DNS Tree Walk from one name (RFC 9989 §4.10): every `_dmarc` query made, what each
/// returned, why the walk stopped, and the Organizational Domain it selects (§4.10.2).
public struct TreeWalk: Sendable, Hashable, Codable {
    /// The walk makes at most this many queries (RFC 9989 §4.10).
    public static let maximumQueries = 8
    /// A start name with more labels is shortened to this many after the first query (RFC 9989 §4.10 step 4).
    public static let shortenedLabelCount = 7

    /// Where the walk started (the Author Domain, or an Authenticated Identifier).
    public var start: DomainName
    /// The queries in the order made.
    public var steps: [Step]
    /// Why the walk ended.
    public var stop: Stop

    /// One `_dmarc.<domain>` TXT query.
    public struct Step: Sendable, Hashable, Codable {
        /// The domain whose record was sought (without `_dmarc`).
        public var domain: DomainName
        /// What the query found.
        public var outcome: Outcome

        /// The DMARC record found here, if exactly one valid one was.
        public var record: DMARCRecord? {
            if case .record(let record) = outcome { record } else { nil }
        }
    }

    /// What one query of the walk found.
    public enum Outcome: Sendable, Hashable, Codable {
        /// NXDOMAIN for `_dmarc.<domain>`.
        case nxdomain
        /// The name exists with no TXT record.
        case nodata
        /// TXT records, none starting with `v=DMARC1`; they are discarded (§4.10 step 2).
        case noDMARCRecord([String])
        /// Exactly one DMARC record.
        case record(DMARCRecord)
        /// A record starting with `v=DMARC1` that is not a valid tag-list (a repeated tag).
        case invalidRecord(DMARCRecordError)
        /// Several records starting with `v=DMARC1`: all are discarded (§4.10 step 2).
        case multipleRecords([String])
        /// `_dmarc.<domain>` would be longer than a DNS name can be, so it cannot exist.
        case nameTooLong
        /// The query failed; the walk stopped there. A failure is a temporary error, never "no
        /// record" (RFC 9989 §4.10.1 leaves its handling to the receiver).
        case temporaryError(DNSError)
    }

    /// Why a walk ended.
    public enum Stop: String, Sendable, Hashable, Codable {
        /// A single record with `psd=y` was found (§4.10 steps 2, 6).
        case publicSuffixDomainRecord
        /// A single record with `psd=n` was found.
        case organizationalDomainRecord
        /// No labels were left to remove.
        case reachedTopLevel
        /// A query failed: the walk is incomplete.
        case temporaryError
    }

    /// Whether every query needed was answered.
    public var isComplete: Bool { stop != .temporaryError }

    /// The DNS failure that stopped the walk, if one did.
    public var failure: DNSError? {
        for step in steps { if case .temporaryError(let failure) = step.outcome { return failure } }
        return nil
    }

    /// The label below which a domain publishes its DMARC record (RFC 9989 §4.6).
    public static let recordLabel = "_dmarc"

    /// The `_dmarc` names queried, in order.
    public var queriedNames: [DomainName] { Self.queriedNames(steps) }

    static func queriedNames(_ steps: [Step]) -> [DomainName] {
        steps.compactMap { try? $0.domain.prepending(recordLabel) }
    }

    /// The records found, longest name first.
    public var records: [(domain: DomainName, record: DMARCRecord)] {
        steps.compactMap { step in step.record.map { (step.domain, $0) } }
    }

    /// The Organizational Domain of ``start`` (RFC 9989 §4.10.2).
    ///
    /// Among the names with a valid record, from the longest to the shortest: `psd=n` makes that
    /// name the Organizational Domain; `psd=y` (other than at the start) makes it the name one
    /// label below; otherwise the name with the fewest labels. With no record, the start itself.
    /// When the walk is incomplete this is a best guess; check ``isComplete``.
    public var organizationalDomain: DomainName {
        let found = records
        for (domain, record) in found {
            switch record.publicSuffixDomain {
            case .no: return domain
            case .yes where domain != start: return start.suffix(labels: domain.labels.count + 1)
            default: continue
            }
        }
        return found.last?.domain ?? start
    }

    /// The record with `psd=y` found by the walk, if any: the Public Suffix Domain's policy.
    public var publicSuffixDomainRecord: (domain: DomainName, record: DMARCRecord)? {
        records.first { $0.record.publicSuffixDomain == .yes }
    }

    /// The names a walk from `start` would query, in order (RFC 9989 §4.10 steps 3–7).
    public static func targets(from start: DomainName) -> [DomainName] {
        guard !start.isRoot else { return [] }
        var targets = [start]
        var next: DomainName? =
            start.labels.count >= 8 ? start.suffix(labels: shortenedLabelCount) : start.parent
        while let current = next, !current.isRoot {
            targets.append(current)
            next = current.parent
        }
        return targets
    }

    /// Walks from `start`, querying `resolver` at most ``maximumQueries`` times.
    public static func walk(from start: DomainName, resolver: any DNSResolver) async -> TreeWalk {
        var steps: [Step] = []
        for target in targets(from: start).prefix(maximumQueries) {
            let outcome = await query(target, resolver: resolver)
            steps.append(Step(domain: target, outcome: outcome))
            switch outcome {
            case .temporaryError:
                return TreeWalk(start: start, steps: steps, stop: .temporaryError)
            case .record(let record) where record.publicSuffixDomain == .yes:
                return TreeWalk(start: start, steps: steps, stop: .publicSuffixDomainRecord)
            case .record(let record) where record.publicSuffixDomain == .no:
                return TreeWalk(start: start, steps: steps, stop: .organizationalDomainRecord)
            default:
                continue
            }
        }
        return TreeWalk(start: start, steps: steps, stop: .reachedTopLevel)
    }

    /// Queries `_dmarc.<domain>` and classifies the answer (RFC 9989 §4.10 steps 1–2).
    static func query(_ domain: DomainName, resolver: any DNSResolver) async -> Outcome {
        guard let name = try? domain.prepending(recordLabel) else { return .nameTooLong }
        let response: DNSResponse
        do {
            response = try await resolver.query(name, .txt)
        } catch {
            return .temporaryError(error)
        }
        switch response.outcome {
        case .nxdomain: return .nxdomain
        case .nodata: return .nodata
        case .answer: break
        }
        let texts = response.txt.map(\.joined)
        let candidates = texts.filter(DMARCRecord.startsWithVersion)
        switch candidates.count {
        case 0: return .noDMARCRecord(texts)
        case 1:
            do { return .record(try DMARCRecord.parse(candidates[0])) } catch { return .invalidRecord(error) }
        default: return .multipleRecords(candidates)
        }
    }
}

extension TreeWalk.Outcome: CustomStringConvertible {
    /// What `_dmarc.<domain>` gave, in a few words (the `dmarc` command's table, the audit's
    /// records).
    public var description: String {
        switch self {
        case .nxdomain: "NXDOMAIN"
        case .nodata: "no TXT record"
        case .noDMARCRecord(let texts): "\(texts.count) TXT record\(texts.count == 1 ? "" : "s"), none a DMARC record"
        case .record(let record): "record" + (record.publicSuffixDomain == .unspecified ? "" : " (psd=\(record.publicSuffixDomain.rawValue))")
        case .invalidRecord(let error): "invalid DMARC record: \(error.message)"
        case .multipleRecords(let texts): "\(texts.count) DMARC records, all discarded"
        case .nameTooLong: "longer than a DNS name can be"
        case .temporaryError(let failure): "DNS failure: \(failure)"
        }
    }
}

extension TreeWalk.Step: CustomStringConvertible {
    /// One line for reports: the name asked and what it gave, with the record text, e.g.
    /// `_dmarc.example.com: v=DMARC1; p=reject` or `_dmarc.com: NXDOMAIN`.
    public var description: String {
        let name = "_dmarc.\(domain)"
        switch outcome {
        case .record(let record): return "\(name): \(record.text)"
        case .invalidRecord(let error): return "\(name): \(outcome) in \"\(error.text)\""
        case .multipleRecords(let texts): return "\(name): \(outcome): " + texts.map { "\"\($0)\"" }.joined(separator: ", ")
        default: return "\(name): \(outcome)"
        }
    }
}
