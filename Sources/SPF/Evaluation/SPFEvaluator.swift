import DNSCore
import Foundation
import MailAuthCore

/// Evaluates SPF the way a receiver does: check_host() of RFC 7208 §4.
///
/// Every evaluation runs under an overall deadline (``timeout``, default 20 s as §4.6.4
/// suggests): the resolver is wrapped in a `DeadlineResolver`, so no record, however hostile, can
/// make it hang. Results are values (``SPFEvaluation``), never thrown: a DNS failure is
/// `temperror` (§2.6.6), never "no record".
///
/// ```swift
/// let spf = SPFEvaluator(resolver: resolver)
/// let outcome = await spf.evaluateMailFrom(ip: client, mailFrom: "alice@example.com", helo: "mail.example.com")
/// print(outcome.result, outcome.matchedTerm ?? "-", outcome.trace.rendered())
/// ```
public struct SPFEvaluator: Sendable {
    public var resolver: any DNSResolver {
        didSet { inspect() }
    }
    /// The overall deadline of one evaluation (RFC 7208 §4.6.4).
    public var timeout: Duration
    /// `%{r}` in explanations: the host doing the check (§7.2).
    public var receiver: String
    /// `%{t}` in explanations: seconds since the epoch. Injected so tests are reproducible.
    public var clock: @Sendable () -> Int
    /// Whether an evaluation records its ``SPFEvaluation/trace`` (on by default). Off, the trace
    /// holds the checked domain, its record, the result and why it failed, without terms,
    /// lookups or nested records, and check_host() does less work: for a bulk scan that needs
    /// results, not explanations. Results, counts, the matched term, the explanation and the
    /// problem are the same either way.
    ///
    /// Off, with a ``CachingResolver`` as the resolver, an `include:` target's result for a
    /// client address is also remembered and reused while every answer it rests on is still in
    /// that cache (a bulk scan meets the same provider include trees in domain after domain):
    /// only for trees without macros or `ptr`, that ended in `pass`, `fail`, `softfail` or
    /// `neutral`, and only where the remembered tree's DNS-querying terms and void lookups keep
    /// the evaluation within the limits of RFC 7208 §4.6.4 (they are counted as if evaluated).
    public var recordsTrace = true
    /// `resolver` as each evaluation's ``DeadlineResolver`` wraps it, and the cache ``IncludeMemo``
    /// entries rest on: found when the resolver is set, not once per evaluation.
    private var bounded: BoundedBase
    private var cache: CachingResolver?

    public init(
        resolver: any DNSResolver, timeout: Duration = SPFLimits.defaultTimeout, receiver: String = "unknown",
        clock: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }
    ) {
        self.resolver = resolver
        self.timeout = timeout
        self.receiver = receiver
        self.clock = clock
        (bounded, cache) = Self.inspect(resolver)
    }

    private mutating func inspect() {
        (bounded, cache) = Self.inspect(resolver)
    }

    private static func inspect(_ resolver: any DNSResolver) -> (BoundedBase, CachingResolver?) {
        (BoundedBase(resolver), resolver as? CachingResolver)
    }

    /// Checks the MAIL FROM identity (RFC 7208 §2.4), the reverse-path with or without its angle
    /// brackets; a null one is checked as `postmaster@<helo>` (``sender(forReversePath:helo:)``).
    public func evaluateMailFrom(ip: IPAddress, mailFrom: String, helo: String) async -> SPFEvaluation {
        var sender = mailFrom
        if sender.hasPrefix("<"), sender.hasSuffix(">") { sender = String(sender.dropFirst().dropLast()) }
        sender = Self.sender(forReversePath: sender, helo: helo)
        let domain = sender.utf8.lastIndex(of: UInt8(ascii: "@")).map { String(sender[sender.index(after: $0)...]) } ?? sender
        return await evaluate(ip: ip, domain: domain, sender: sender, helo: helo)
    }

    /// The sender check_host() gets for a MAIL FROM reverse-path: the null reverse-path (`""` or
    /// `<>`) has no local part or domain to check, so it is checked as `postmaster@<helo>`
    /// (RFC 7208 §2.4); any other is used as it is.
    public static func sender(forReversePath reversePath: String, helo: String) -> String {
        reversePath.isEmpty || reversePath == "<>" ? "postmaster@\(helo)" : reversePath
    }

    /// Checks the HELO identity (RFC 7208 §2.3): `check_host(ip, helo, postmaster@helo)`.
    public func evaluateHelo(ip: IPAddress, helo: String) async -> SPFEvaluation {
        await evaluate(ip: ip, domain: helo, sender: "postmaster@\(helo)", helo: helo)
    }

    /// check_host(ip, domain, sender) of RFC 7208 §4.
    ///
    /// - Parameters:
    ///   - ip: the SMTP client; an IPv4-mapped IPv6 address is treated as IPv4.
    ///   - domain: the domain to check (the sender's domain, or the HELO name).
    ///   - sender: `local-part@domain`; an empty local part becomes `postmaster` (§4.3).
    ///   - helo: the HELO/EHLO name, for `%{h}`.
    public func evaluate(ip: IPAddress, domain: String, sender: String, helo: String) async -> SPFEvaluation {
        let client = ip.unmapped
        var localPart = ""
        var senderDomain = domain
        if let at = sender.utf8.lastIndex(of: UInt8(ascii: "@")) {
            localPart = String(sender[..<at])
            senderDomain = String(sender[sender.index(after: at)...])
        }
        if localPart.isEmpty { localPart = "postmaster" }
        let values = MacroValues(
            sender: "\(localPart)@\(senderDomain)", localPart: localPart, senderDomain: senderDomain, domain: domain,
            ip: client, helo: helo, receiver: receiver, timestamp: clock())
        var session = Session(
            resolver: DeadlineResolver(bounded, deadline: .now + timeout), ip: client, values: values, recordsTrace: recordsTrace,
            memoCache: recordsTrace ? nil : cache)
        let outcome = await session.evaluate(domain: domain, depth: 0, explain: true)
        return SPFEvaluation(
            result: outcome.result, domain: domain, ip: client.description, matchedTerm: outcome.matchedTerm,
            matchedIn: outcome.matchedIn, explanation: outcome.explanation, dnsLookups: session.dnsTerms,
            voidLookups: session.voidLookups, problem: [.none, .permerror, .temperror].contains(outcome.result) ? outcome.problem : nil,
            trace: outcome.trace)
    }
}

/// Stops the evaluation with `permerror` or `temperror`.
struct Abort: Error {
    var result: SPFResult
    var reason: String
}

/// The result of evaluating one domain's record.
struct RecordOutcome {
    var result: SPFResult
    var explanation: String?
    var matchedTerm: String?
    var matchedIn: String?
    var problem: String?
    var trace: SPFTrace
}

/// The mutable state of one check_host() evaluation: the counters of §4.6.4, shared across the
/// include/redirect tree.
struct Session {
    /// Concrete, not `any DNSResolver`: the wrapper is too large for an existential's inline
    /// buffer, so boxing it cost an allocation per evaluation.
    let resolver: DeadlineResolver
    let ip: IPAddress
    var values: MacroValues
    /// Whether lookups, terms and nested records go into the trace.
    let recordsTrace: Bool
    var dnsTerms = 0
    var voidLookups = 0
    /// The client's validated names for `%{p}`, looked up once per evaluation: every expansion
    /// of `p` in the record tree needs the same list (only the preferred name depends on the domain).
    var macroValidatedNames: [DomainName]?
    /// The cache whose answers ``IncludeMemo`` entries rest on; `nil` turns the memo off.
    let memoCache: CachingResolver?
    /// What the include tree being evaluated rests on (at the top: the whole evaluation's).
    var basis = IncludeMemo.Basis()

    init(resolver: DeadlineResolver, ip: IPAddress, values: MacroValues, recordsTrace: Bool = true, memoCache: CachingResolver? = nil) {
        self.resolver = resolver
        self.ip = ip
        self.values = values
        self.recordsTrace = recordsTrace
        self.memoCache = memoCache
    }

    /// Notes an answer the current include tree read, for ``IncludeMemo``.
    mutating func rest(on response: DNSResponse) {
        if memoCache != nil { basis.rest(on: response) }
    }

    /// Adds `item` (a lookup, a term) to `list` when the trace is recorded; otherwise `item` is
    /// never built.
    func note<Item>(_ item: @autoclosure () -> Item, to list: inout [Item]) {
        if recordsTrace { list.append(item()) }
    }

    /// Sets a term's detail when the trace is recorded (it is for a person reading the trace only).
    func describe(_ trace: inout SPFTermTrace, _ detail: @autoclosure () -> String) {
        if recordsTrace { trace.detail = detail() }
    }

    // MARK: Domains and records

    /// The domain checks of RFC 7208 §4.3: a multi-label name with labels of 1–63 octets, not a
    /// domain literal. `nil` means check_host() gives `none`.
    static func validDomain(_ text: String) -> DomainName? {
        guard !text.isEmpty, !text.hasPrefix("["), let name = try? DomainName(dnsName: text), name.labels.count >= 2
        else { return nil }
        return name
    }

    /// Evaluates the record of one domain.
    ///
    /// - Parameter explain: whether a `fail` fetches the `exp=` text: true at the top and through
    ///   `redirect=`, false inside an `include` (whose `exp=` must not be used, RFC 7208 §6.2).
    nonisolated(nonsending) mutating func evaluate(domain text: String, depth: Int, explain: Bool) async -> RecordOutcome {
        var trace = SPFTrace(domain: text, result: .none)
        func finish(_ result: SPFResult, _ detail: String?, explanation: String? = nil, matched: String? = nil,
                    matchedIn: String? = nil) -> RecordOutcome {
            trace.result = result
            trace.detail = detail
            return RecordOutcome(result: result, explanation: explanation, matchedTerm: matched, matchedIn: matchedIn,
                                 problem: detail, trace: trace)
        }
        guard let domain = Self.validDomain(text) else {
            return finish(.none, "not a valid multi-label domain name (RFC 7208 §4.3)")
        }
        let domainText = domain.description
        trace.domain = domainText
        let response: DNSResponse
        do throws(DNSError) {
            response = try await resolver.query(domain, .txt)
        } catch {
            note(SPFLookup(question: "\(domain.fullyQualified) TXT", outcome: "error", error: error.description), to: &trace.lookups)
            return finish(.temperror, "DNS failure fetching the record: \(error)")
        }
        note(Self.log(response), to: &trace.lookups)
        rest(on: response)
        if response.outcome == .nxdomain { return finish(.none, "the domain does not exist (NXDOMAIN)") }
        // The one v=spf1 record (RFC 7208 §4.5), found without collecting the TXT records.
        let spfRecords = response.records.lazy.compactMap { record -> [UInt8]? in
            guard case .txt(let txt) = record.data else { return nil }
            return txt.joinedBytes
        }.filter { SPFRecord.isSPFRecord($0) }
        var found = spfRecords.makeIterator()
        guard let only = found.next() else { return finish(.none, "no v=spf1 record") }
        if found.next() != nil {
            let all = Array(spfRecords)
            trace.record = all.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " | ")
            return finish(.permerror, "\(all.count) v=spf1 records; exactly one is allowed (RFC 7208 §4.5)")
        }
        let record: SPFRecord
        do throws(SyntaxError) {
            record = try SPFRecordCache.parse(bytes: only)
        } catch {
            trace.record = error.input
            return finish(.permerror, "syntax error \(error)")
        }
        trace.record = record.text

        let saved = values.domain
        values.domain = domainText
        defer { values.domain = saved }

        for term in record.terms {
            guard case .directive(let directive) = term else { continue }
            var termTrace = SPFTermTrace(term: directive.text, outcome: .noMatch)
            do throws(Abort) {
                let matched = try await evaluate(directive, in: domain, depth: depth, trace: &termTrace)
                if matched {
                    termTrace.outcome = .match
                    note(termTrace, to: &trace.terms)
                    let result = directive.qualifier.result
                    var explanation: String? = nil
                    if result == .fail, explain {
                        explanation = await self.explanation(of: record, domain: domain, trace: &trace)
                    }
                    // A match's detail is for the trace only (``SPFEvaluation/problem`` is not set for one).
                    return finish(result, recordsTrace ? "matched \(directive.text)" : nil, explanation: explanation,
                                  matched: directive.text, matchedIn: domainText)
                }
                note(termTrace, to: &trace.terms)
            } catch {
                termTrace.outcome = .error
                termTrace.detail = error.reason
                note(termTrace, to: &trace.terms)
                return finish(error.result, error.reason)
            }
        }

        guard let redirect = record.redirect else { return finish(.neutral, "no mechanism matched; default neutral (RFC 7208 §4.7)") }
        var termTrace = SPFTermTrace(term: redirect.text, outcome: .applied)
        do throws(Abort) {
            try countDNSTerm()
            let target = try await expandTarget(redirect.value, in: domain, trace: &termTrace)
            termTrace.target = target
            let child = await evaluate(domain: target, depth: depth + 1, explain: explain)
            if recordsTrace { termTrace.nested = [child.trace] }
            note(termTrace, to: &trace.terms)
            if child.result == .none {
                return finish(.permerror, "redirect= target \(target) has no SPF record (RFC 7208 §6.1)")
            }
            return finish(child.result, "via redirect to \(target)", explanation: child.explanation,
                          matched: child.matchedTerm, matchedIn: child.matchedIn)
        } catch {
            termTrace.outcome = .error
            termTrace.detail = error.reason
            note(termTrace, to: &trace.terms)
            return finish(error.result, error.reason)
        }
    }

    // MARK: Mechanisms

    mutating func countDNSTerm() throws(Abort) {
        dnsTerms += 1
        if dnsTerms > SPFLimits.maximumDNSMechanisms {
            throw Abort(result: .permerror, reason: "more than \(SPFLimits.maximumDNSMechanisms) DNS-querying terms (RFC 7208 §4.6.4)")
        }
    }

    /// RFC 7208 §5: whether the mechanism matches.
    nonisolated(nonsending) mutating func evaluate(
        _ directive: SPFDirective, in domain: DomainName, depth: Int, trace: inout SPFTermTrace
    ) async throws(Abort) -> Bool {
        let mechanism = directive.mechanism
        if mechanism.queriesDNS { try countDNSTerm() }
        switch mechanism {
        case .all:
            return true
        case .ip4(let network), .ip6(let network):
            return network.contains(ip)
        case .include(let spec):
            let target = try await expandTarget(spec, in: domain, trace: &trace)
            trace.target = target
            let result = await includedResult(target, depth: depth, trace: &trace)
            // RFC 7208 §5.2: the include result table.
            switch result {
            case .pass: return true
            case .fail, .softfail, .neutral:
                describe(&trace, "included record gave \(result)")
                return false
            case .temperror: throw Abort(result: .temperror, reason: "include:\(target) gave temperror")
            case .permerror: throw Abort(result: .permerror, reason: "include:\(target) gave permerror")
            case .none: throw Abort(result: .permerror, reason: "include:\(target) has no SPF record (RFC 7208 §5.2)")
            }
        case .a(let spec, let cidr):
            guard let target = try await targetName(spec, in: domain, trace: &trace) else { return false }
            let addresses = try await addresses(of: target, countVoid: true, trace: &trace)
            guard let network = IPNetwork(ip, prefixLength: cidr.length(for: ip)) else { return false }
            return addresses.contains { network.contains($0) }
        case .mx(let spec, let cidr):
            guard let target = try await targetName(spec, in: domain, trace: &trace) else { return false }
            let response = try await lookup(target, .mx, countVoid: true, trace: &trace)
            let exchanges = response.mx.sorted { $0.preference < $1.preference }.map(\.exchange).filter { !$0.isRoot }
            if exchanges.count > SPFLimits.maximumMXNames {
                throw Abort(result: .permerror, reason: "\(target) has \(exchanges.count) MX names; at most \(SPFLimits.maximumMXNames) may be looked up (RFC 7208 §4.6.4)")
            }
            guard let network = IPNetwork(ip, prefixLength: cidr.length(for: ip)) else { return false }
            // Each exchanger's address lookup is a DNS query made for this term: one that answers
            // NXDOMAIN or NODATA is a void lookup (§4.6.4 defines void lookups by the answer, and
            // pyspf, the reference implementation, counts them). So an exchanger with only A
            // records is void for IPv6 clients: the "IPv6 void-lookup trap" (pyspf #40, #44).
            for exchange in exchanges {
                let addresses = try await addresses(of: exchange, countVoid: true, trace: &trace)
                if addresses.contains(where: { network.contains($0) }) {
                    describe(&trace, "via MX \(exchange)")
                    return true
                }
            }
            return false
        case .ptr(let spec):
            basis.rememberable = false  // the names depend on the client, and are looked up once per evaluation
            guard let target = try await targetName(spec, in: domain, trace: &trace) else { return false }
            let names = try await validatedNames(countVoid: true, trace: &trace.lookups, suffix: target)
            if let name = names.first { describe(&trace, "validated name \(name)") }
            return !names.isEmpty
        case .exists(let spec):
            guard let target = try await targetName(spec, in: domain, trace: &trace) else { return false }
            let response = try await lookup(target, .a, countVoid: true, trace: &trace)
            return response.outcome == .answer && !response.ipv4.isEmpty
        }
    }

    /// Expands a domain-spec (or `<domain>` when absent) into a name to query; `nil` when the
    /// expansion is not a valid DNS name (nothing can match it).
    nonisolated(nonsending) mutating func targetName(_ spec: MacroString?, in domain: DomainName, trace: inout SPFTermTrace) async throws(Abort) -> DomainName? {
        guard let spec else {
            trace.target = domain.description
            return domain
        }
        let text = try await expandTarget(spec, in: domain, trace: &trace)
        trace.target = text
        guard let name = try? DomainName(dnsName: text), !name.isRoot else {
            describe(&trace, "\(text.debugDescription) is not a valid domain name")
            return nil
        }
        return name
    }

    /// The check_host() result of an `include:` target: from ``IncludeMemo`` when an entry
    /// stands for it, else evaluated (and remembered when it can be).
    nonisolated(nonsending) mutating func includedResult(_ target: String, depth: Int, trace: inout SPFTermTrace) async -> SPFResult {
        let key = memoCache.map { IncludeMemo.Key(cache: $0.instanceID, target: target, ip: ip) }
        let evictions = memoCache?.evictions ?? 0
        if let key {
            let now = ContinuousClock.now
            if let entry = IncludeMemo.entry(for: key, at: now, evictions: evictions), now < resolver.deadline,
                dnsTerms + entry.dnsTerms <= SPFLimits.maximumDNSMechanisms,
                voidLookups + entry.voidLookups <= SPFLimits.maximumVoidLookups
            {
                dnsTerms += entry.dnsTerms
                voidLookups += entry.voidLookups
                basis.rest(until: entry.expires)
                return entry.result
            }
        }
        let outer = basis
        basis = IncludeMemo.Basis()
        let (terms, voids) = (dnsTerms, voidLookups)
        let child = await evaluate(domain: target, depth: depth + 1, explain: false)
        if recordsTrace { trace.nested = [child.trace] }
        if let key, basis.rememberable, let expires = basis.expires, IncludeMemo.keeps(child.result) {
            IncludeMemo.store(
                IncludeMemo.Entry(
                    result: child.result, dnsTerms: dnsTerms - terms, voidLookups: voidLookups - voids, expires: expires,
                    evictions: evictions),
                for: key)
        }
        basis = outer.including(basis)
        return child.result
    }

    nonisolated(nonsending) mutating func expandTarget(_ spec: MacroString, in domain: DomainName, trace: inout SPFTermTrace) async throws(Abort) -> String {
        if memoCache != nil, spec.hasMacros { basis.rememberable = false }
        if spec.uses(.p) { await setValidatedName(for: domain, trace: &trace.lookups) }
        return spec.expandDomain(values)
    }

    /// Sets `%{p}` for `domain` (RFC 7208 §7.3), looking the client's names up on first use.
    nonisolated(nonsending) mutating func setValidatedName(for domain: DomainName, trace: inout [SPFLookup]) async {
        let names: [DomainName]
        if let known = macroValidatedNames {
            names = known
        } else {
            // Without void counting nothing aborts.
            names = (try? await validatedNames(countVoid: false, trace: &trace, suffix: nil)) ?? []
            macroValidatedNames = names
        }
        values.validatedName = Self.preferredName(names, domain: domain)
    }

    static func preferredName(_ names: [DomainName], domain: DomainName) -> String {
        if let exact = names.first(where: { $0 == domain }) { return exact.description }
        if let sub = names.first(where: { $0.isSubdomain(of: domain) }) { return sub.description }
        return names.first?.description ?? "unknown"
    }

    /// A or AAAA addresses of `name`, for the client's family.
    nonisolated(nonsending) mutating func addresses(of name: DomainName, countVoid: Bool, trace: inout SPFTermTrace) async throws(Abort) -> [IPAddress] {
        let type: RecordType = if case .v4 = ip { .a } else { .aaaa }
        let response = try await lookup(name, type, countVoid: countVoid, trace: &trace)
        return type == .a ? response.ipv4.map(IPAddress.v4) : response.ipv6.map(IPAddress.v6)
    }

    /// One query: a DNS failure is `temperror`; NXDOMAIN/NODATA counts as a void lookup when asked.
    nonisolated(nonsending) mutating func lookup(_ name: DomainName, _ type: RecordType, countVoid: Bool, trace: inout SPFTermTrace) async throws(Abort) -> DNSResponse {
        let response: DNSResponse
        do throws(DNSError) {
            response = try await resolver.query(name, type)
        } catch {
            note(SPFLookup(question: "\(name.fullyQualified) \(type)", outcome: "error", error: error.description), to: &trace.lookups)
            throw Abort(result: .temperror, reason: "DNS failure: \(error)")
        }
        rest(on: response)
        let isVoid = response.outcome != .answer || response.records.isEmpty
        if isVoid && countVoid { voidLookups += 1 }
        note(Self.log(response, countedAsVoid: isVoid && countVoid), to: &trace.lookups)
        if isVoid && countVoid && voidLookups > SPFLimits.maximumVoidLookups {
            throw Abort(result: .permerror, reason: "more than \(SPFLimits.maximumVoidLookups) void lookups (RFC 7208 §4.6.4)")
        }
        return response
    }

    /// The client's validated names (RFC 7208 §5.5): PTR names (the first
    /// ``SPFLimits/maximumPTRNames``) whose own addresses include the client. With `suffix`, only
    /// names equal to or under it are validated. DNS failures skip a name; they never abort.
    ///
    /// - Throws: with `countVoid`, the permerror of a void PTR lookup over the limit (§4.6.4).
    nonisolated(nonsending) mutating func validatedNames(countVoid: Bool, trace: inout [SPFLookup], suffix: DomainName?) async throws(Abort) -> [DomainName] {
        let reverse = ip.reverseName
        let response: DNSResponse
        do throws(DNSError) {
            response = try await resolver.query(reverse, .ptr)
        } catch {
            note(SPFLookup(question: "\(reverse.fullyQualified) PTR", outcome: "error", error: error.description), to: &trace)
            return []
        }
        let countedAsVoid = countVoid && (response.outcome != .answer || response.records.isEmpty)
        if countedAsVoid { voidLookups += 1 }
        note(Self.log(response, countedAsVoid: countedAsVoid), to: &trace)
        if countedAsVoid && voidLookups > SPFLimits.maximumVoidLookups {
            throw Abort(result: .permerror, reason: "more than \(SPFLimits.maximumVoidLookups) void lookups (RFC 7208 §4.6.4)")
        }
        var validated: [DomainName] = []
        let type: RecordType = if case .v4 = ip { .a } else { .aaaa }
        for name in response.names.prefix(SPFLimits.maximumPTRNames) {
            if let suffix, !name.isSubdomain(of: suffix) { continue }
            do throws(DNSError) {
                let answer = try await resolver.query(name, type)
                note(Self.log(answer), to: &trace)
                let addresses = type == .a ? answer.ipv4.map(IPAddress.v4) : answer.ipv6.map(IPAddress.v6)
                if addresses.contains(ip) { validated.append(name) }
            } catch {
                note(SPFLookup(question: "\(name.fullyQualified) \(type)", outcome: "error", error: error.description), to: &trace)
            }
        }
        return validated
    }

    static func log(_ response: DNSResponse, countedAsVoid: Bool = false) -> SPFLookup {
        let answers: [String] = response.records.map { record in
            if case .txt(let txt) = record.data { return txt.joined }
            return record.data.presentation
        }
        return SPFLookup(
            question: "\(response.question)", outcome: response.outcome.rawValue, answers: answers, countedAsVoid: countedAsVoid)
    }

    // MARK: Explanation

    /// The `exp=` text for a `fail` (RFC 7208 §6.2). Any problem (DNS failure, no or several TXT
    /// records, non-ASCII, a syntax error) means no explanation, never a different result.
    nonisolated(nonsending) mutating func explanation(of record: SPFRecord, domain: DomainName, trace: inout SPFTrace) async -> String? {
        guard let exp = record.explanation else { return nil }
        var termTrace = SPFTermTrace(term: exp.text, outcome: .applied)
        defer { note(termTrace, to: &trace.terms) }
        let text: String
        do throws(Abort) { text = try await expandTarget(exp.value, in: domain, trace: &termTrace) } catch { return nil }
        termTrace.target = text
        guard let name = try? DomainName(dnsName: text), !name.isRoot else {
            termTrace.detail = "not a valid domain name; no explanation"
            return nil
        }
        let response: DNSResponse
        do throws(DNSError) {
            response = try await resolver.query(name, .txt)
        } catch {
            termTrace.lookups.append(SPFLookup(question: "\(name.fullyQualified) TXT", outcome: "error", error: error.description))
            termTrace.detail = "DNS failure; no explanation"
            return nil
        }
        termTrace.lookups.append(Self.log(response))
        let records = response.txt
        guard records.count == 1, records[0].isASCII else {
            termTrace.detail = records.count == 1 ? "non-ASCII explanation ignored" : "not exactly one TXT record; no explanation"
            return nil
        }
        do throws(SyntaxError) {
            let macro = try MacroString.parseExplanation(records[0].joined)
            if macro.uses(.p) { await setValidatedName(for: domain, trace: &termTrace.lookups) }
            let expanded = macro.expand(values)
            termTrace.detail = "explanation: \(expanded)"
            return expanded
        } catch {
            termTrace.detail = "explanation text has a syntax error (\(error.message)); ignored"
            return nil
        }
    }
}
