import DNSCore
import MailAuthCore

/// Walks a domain's SPF include/redirect tree without a client address and reports what a domain
/// owner needs to hear: the worst-case lookup counts per address family (RFC 7208 §4.6.4), void
/// lookups, loops, missing included records, and the lints of ``SPFLint``.
///
/// Counting follows the RFC, not folklore: terms after `all` are never reached and do not count;
/// `redirect=` counts only when the record has no `all`; `exp=` never counts; an `mx` term counts
/// once, its exchangers' address lookups count toward the per-`mx` limit of 10 instead; an
/// include reached twice counts twice, because receivers evaluate it twice.
///
/// Void lookups are counted per family because receivers ask only for the client's family: an
/// `a` target or MX exchanger with A but no AAAA records is a void lookup for IPv6 clients only
/// (the "IPv6 void-lookup trap", pyspf #40 and #44), so a record can work for IPv4 senders and
/// give permerror for IPv6 senders.
///
/// Two kinds of term are void or not depending on the client, not on the domain's DNS, so they
/// count as void in the worst case, the same sender that matches nothing (RFC 7208 §4.6.4):
/// - `ptr` (§5.5): the PTR query is for the client's address, whatever the domain-spec; for a
///   client without reverse DNS it answers NXDOMAIN, a void lookup for both families.
/// - `exists` with macros (§5.7, §7), e.g. `exists:%{i}._spf.example.com`: its target cannot be
///   looked up statically, but an `exists` that does not match got no A record (NXDOMAIN or
///   NODATA in the common case), so for a sender it does not list it is a void lookup, for both
///   families (`exists` always asks for A). A literal `exists:` target is looked up as usual.
///
/// ``SPFEvaluator`` counts the same queries for a real client, so a record the analysis reports
/// over the void limit for a family gives permerror for such a client of that family.
public struct SPFChecker: Sendable {
    public var resolver: any DNSResolver
    /// The overall deadline of one analysis.
    public var timeout: Duration

    public init(resolver: any DNSResolver, timeout: Duration = SPFLimits.defaultTimeout) {
        self.resolver = resolver
        self.timeout = timeout
    }

    /// Checks `domain`'s SPF: walks its tree and lints every record in it.
    public func check(_ domain: DomainName) async -> SPFAnalysis {
        var walk = Walk(resolver: DeadlineResolver(resolver, timeout: timeout), top: domain)
        let tree = await walk.visit(domain, via: nil, path: [], isTopChain: true)
        walk.findOverlaps()
        walk.checkLimits()
        let findings = walk.findings.enumerated()
            .sorted { ($0.element.severity, -$0.offset) > ($1.element.severity, -$1.offset) }.map(\.element)
        return SPFAnalysis(
            domain: domain.description, record: tree.record, tree: tree, ipv4: walk.ipv4, ipv6: walk.ipv6,
            findings: findings, incomplete: walk.incomplete)
    }
}

/// The mutable state of one analysis.
struct Walk {
    /// The domain a macro-free domain-spec names (a trailing dot allowed), if it is a valid one.
    static func literalTarget(_ literal: String) -> DomainName? {
        Session.validDomain(literal.hasSuffix(".") ? String(literal.dropLast()) : literal)
    }

    let resolver: any DNSResolver
    let top: DomainName
    var ipv4 = SPFLookupCount()
    var ipv6 = SPFLookupCount()
    /// Void lookups (counted in both families) that depend on the client: `ptr` and macro `exists`.
    var clientVoids = 0
    var findings: [Finding] = []
    private var reported: Set<Finding> = []
    var incomplete = false
    var networks: [(network: IPNetwork, term: String, domain: String)] = []
    /// Records visited, to keep a pathological tree from being walked forever (loops aside).
    var visits = 0
    static let maximumVisits = 100

    init(resolver: any DNSResolver, top: DomainName) {
        self.resolver = resolver
        self.top = top
    }

    mutating func add(_ finding: Finding) {
        // A set beside the array keeps insertion order and makes the check O(1): an analysis of a
        // large tree adds many findings (one per overlapping range pair).
        if reported.insert(finding).inserted { findings.append(finding) }
    }

    /// Fetches and checks one record; recurses into includes and the redirect.
    mutating func visit(
        _ domain: DomainName, via: SPFTerm?, from: String? = nil, path: [DomainName], isTopChain: Bool
    ) async -> SPFTreeNode {
        var node = SPFTreeNode(domain: domain.description, via: via?.text)
        visits += 1
        guard visits <= Self.maximumVisits else {
            node.problem = "not followed: more than \(Self.maximumVisits) records in the tree"
            return node
        }
        let isTop = via == nil
        let response: DNSResponse
        do throws(DNSError) {
            response = try await resolver.query(domain, .txt)
        } catch {
            incomplete = true
            node.problem = "DNS failure: \(error)"
            add(SPFLint.dnsFailure(domain: domain, error: error))
            return node
        }
        if isTop { await checkTypeSPF(domain) }
        let txt = response.txt.filter { SPFRecord.isSPFRecord($0.joinedBytes) }
        if txt.isEmpty {
            node.problem = "no SPF record"
            switch via {
            case let term? where !isTop:
                if case .directive = term {
                    add(SPFLint.includeWithoutRecord(term: term.text, domain: domain, from: from))
                } else {
                    add(SPFLint.redirectWithoutRecord(term: term.text, domain: domain, from: from))
                }
            default:
                add(SPFLint.noRecord(domain: domain))
            }
            return node
        }
        if txt.count > 1 {
            node.problem = "\(txt.count) SPF records"
            add(SPFLint.multipleRecords(domain: domain, records: txt.map(\.joined)))
            return node
        }
        let data = txt[0]
        for finding in SPFLint.findings(forText: data, domain: domain) { add(finding) }
        let record: SPFRecord
        do throws(SyntaxError) {
            record = try SPFRecordCache.parse(bytes: data.joinedBytes)
        } catch {
            node.record = error.input
            node.problem = "syntax error"
            add(SPFLint.syntax(domain: domain, error: error))
            return node
        }
        node.record = record.text
        for finding in SPFLint.findings(for: record, domain: domain, isTopChain: isTopChain) { add(finding) }

        let path = path + [domain]
        var reachedAll = false
        for directive in record.directives {
            if case .all = directive.mechanism {
                reachedAll = true
                break
            }
            guard directive.mechanism.queriesDNS else {
                if case .ip4(let network) = directive.mechanism { networks.append((network, directive.text, domain.description)) }
                if case .ip6(let network) = directive.mechanism { networks.append((network, directive.text, domain.description)) }
                continue
            }
            node.dnsLookups += 1
            ipv4.dnsLookups += 1
            ipv6.dnsLookups += 1
            if case .ptr = directive.mechanism {
                // The PTR query names the client's address, not the domain-spec (RFC 7208 §5.5).
                countClientVoid()
            }
            let spec = directive.mechanism.domainSpec
            if let spec, spec.hasMacros {
                add(SPFLint.macroUnchecked(term: directive.text, domain: domain, record: record.text))
                if case .exists = directive.mechanism { countClientVoid() }
                continue
            }
            let target: DomainName
            if let literal = spec?.literalValue {
                guard let name = Self.literalTarget(literal) else { continue }
                target = name
            } else {
                target = domain
            }
            switch directive.mechanism {
            case .include:
                if target == domain {
                    add(SPFLint.includeSelf(term: directive.text, domain: domain, record: record.text))
                }
                if path.contains(target) {
                    add(SPFLint.loop(term: directive.text, path: path + [target], record: record.text))
                    node.children.append(SPFTreeNode(domain: target.description, via: directive.text, problem: "loop"))
                    continue
                }
                node.children.append(await visit(target, via: .directive(directive), from: record.text, path: path, isTopChain: false))
            case .a:
                await countVoid(target, types: [.a, .aaaa])
            case .exists:
                await countVoid(target, types: [.a])
            case .mx:
                await checkMX(target, term: directive.text, domain: domain, record: record.text)
            case .ptr:
                break  // its void lookup is counted above; SPFLint.findings(for:domain:isTopChain:) reports ptr itself.
            case .all, .ip4, .ip6:
                break
            }
        }
        if !reachedAll, let redirect = record.redirect {
            node.dnsLookups += 1
            ipv4.dnsLookups += 1
            ipv6.dnsLookups += 1
            if let literal = redirect.value.literalValue {
                if let target = Self.literalTarget(literal) {
                    if path.contains(target) {
                        add(SPFLint.loop(term: redirect.text, path: path + [target], record: record.text))
                        node.children.append(SPFTreeNode(domain: target.description, via: redirect.text, problem: "loop"))
                    } else {
                        node.children.append(await visit(
                            target, via: .modifier(redirect), from: record.text, path: path, isTopChain: isTopChain))
                    }
                }
            } else {
                add(SPFLint.macroUnchecked(term: redirect.text, domain: domain, record: record.text))
            }
        }
        return node
    }

    /// Counts the worst-case void lookup of a `ptr` or macro `exists` term, in both families: a
    /// client without reverse DNS, a sender the `exists` target does not list (see ``SPFChecker``).
    mutating func countClientVoid() {
        ipv4.voidLookups += 1
        ipv6.voidLookups += 1
        clientVoids += 1
    }

    /// Counts the void lookups of one `a`/`exists` term per family.
    mutating func countVoid(_ name: DomainName, types: [RecordType]) async {
        var voidV4 = false
        var voidV6 = false
        for type in types {
            do throws(DNSError) {
                let response = try await resolver.query(name, type)
                let isVoid = response.outcome != .answer || response.records.isEmpty
                if type == .a, isVoid {
                    voidV4 = true
                    if types.count == 1 { voidV6 = true }  // exists asks for A whatever the client family.
                }
                if type == .aaaa, isVoid { voidV6 = true }
            } catch {
                incomplete = true
                add(SPFLint.dnsFailure(domain: name, error: error))
            }
        }
        if voidV4 { ipv4.voidLookups += 1 }
        if voidV6 { ipv6.voidLookups += 1 }
    }

    /// One `mx` term: the MX query (void for both families when empty) and the per-`mx` limit.
    mutating func checkMX(_ name: DomainName, term: String, domain: DomainName, record: String) async {
        do throws(DNSError) {
            let response = try await resolver.query(name, .mx)
            let exchanges = response.mx.map(\.exchange).filter { !$0.isRoot }
            if exchanges.isEmpty {
                ipv4.voidLookups += 1
                ipv6.voidLookups += 1
                return
            }
            if exchanges.count > SPFLimits.maximumMXNames {
                add(SPFLint.mxLimit(term: term, domain: domain, count: exchanges.count, record: record))
                return
            }
            // Each exchanger's A (IPv4 clients) or AAAA (IPv6 clients) lookup is a void lookup when
            // empty; a receiver stops at the first match, so this is the worst case.
            for exchange in exchanges {
                for type in [RecordType.a, .aaaa] {
                    do throws(DNSError) {
                        let answer = try await resolver.query(exchange, type)
                        guard answer.outcome != .answer || answer.records.isEmpty else { continue }
                        if type == .a { ipv4.voidLookups += 1 } else { ipv6.voidLookups += 1 }
                    } catch {
                        incomplete = true
                        add(SPFLint.dnsFailure(domain: exchange, error: error))
                    }
                }
            }
        } catch {
            incomplete = true
            add(SPFLint.dnsFailure(domain: name, error: error))
        }
    }

    /// Whether the deprecated SPF RR type (99) is still published.
    mutating func checkTypeSPF(_ domain: DomainName) async {
        guard let response = try? await resolver.query(domain, .spf), response.outcome == .answer,
            !response.records.isEmpty
        else { return }
        add(SPFLint.typeSPF(domain: domain))
    }

    mutating func checkLimits() {
        for finding in SPFLint.limitFindings(domain: top, ipv4: ipv4, ipv6: ipv6, clientVoids: clientVoids) { add(finding) }
    }

    mutating func findOverlaps() {
        let limited = networks.prefix(2_000)
        for (i, a) in limited.enumerated() {
            for b in limited.dropFirst(i + 1) where a.network.overlaps(b.network) {
                add(SPFLint.overlap(a.term, in: a.domain, b.term, in: b.domain, duplicate: a.network == b.network))
            }
        }
    }
}
