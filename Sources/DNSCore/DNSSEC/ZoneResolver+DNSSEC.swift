extension ZoneResolver: DNSSECMessageSource, DeadlineAwareDNSSECSource {
    /// Answers as a signing authoritative server would (RFC 4035 §3.1): the RRset with the
    /// RRSIGs over it; for a negative answer the zone's SOA and the NSEC or NSEC3 records of the
    /// zone (all of them: the validator picks the ones that prove the denial); a DS question at a
    /// zone apex from the parent's side (RFC 4035 §3.1.4.1); a referral for a name below a
    /// delegation whose child zone is not in the data. CNAMEs are returned, not followed.
    ///
    /// Zone data holds signatures only when its files were signed (`ldns-signzone`, a signer's
    /// output); unsigned data gives messages without any, which a validator proves insecure or
    /// finds bogus.
    public func dnssecMessage(_ question: DNSQuestion) async throws(DNSError) -> DNSSECMessage {
        try signedMessage(question)
    }

    package func dnssecMessage(_ question: DNSQuestion, within deadline: DeadlineSignal) async throws(DNSError) -> DNSSECMessage {
        if deadline.hasFired { throw DeadlineSignal.expired(question) }
        return try signedMessage(question)
    }

    /// The synchronous lookup behind ``dnssecMessage(_:)``.
    public func signedMessage(_ question: DNSQuestion) throws(DNSError) -> DNSSECMessage {
        if Task.isCancelled { throw DNSError(.cancelled, question: question, server: resolverDescription) }
        if let kind = failures[question.name] ?? questionFailures[question] {
            throw DNSError(kind, question: question, server: resolverDescription, detail: "injected failure at \(question.name)")
        }
        let name = question.name
        let parentSide = question.type == .ds && soas[name] != nil
        guard let zone = enclosingApex(of: name, excludingItself: parentSide) else {
            throw DNSError(.outsideZoneData, question: question, server: resolverDescription, detail: "no zone in the data holds \(name)")
        }
        if let cut = delegation(above: name, below: zone) { return referral(question, cut: cut) }
        func message(_ rcode: ResponseCode, answer: [ResourceRecord] = [], proof: Bool) -> DNSSECMessage {
            var authority: [ResourceRecord] = []
            if proof {
                authority = (byName[zone] ?? []).filter {
                    $0.type == .soa || ($0.typeCovered == .soa && RRSIGFields($0)?.signer == zone)
                }
                authority += denialRecords[zone] ?? []
            }
            return DNSSECMessage(question: question, rcode: rcode, answer: answer, authority: authority, server: resolverDescription)
        }
        // Below a DNAME (RFC 6672 §3.2): the signed DNAME and the unsigned CNAME made from it.
        if let synthesised = try synthesisedCNAME(name, question: question), let owner = dnames.keys.first(where: {
            name.isSubdomain(of: $0) && name != $0
        }) {
            let dname = (byName[owner] ?? []).filter { $0.type == .dname || $0.typeCovered == .dname }
            return message(.noError, answer: dname + [synthesised], proof: false)
        }
        guard let owned = recordsAt(name) else { return message(.nameError, proof: true) }
        // A wildcard answer (RFC 4592) comes with the proof that the name itself does not exist
        // (RFC 4035 §3.1.3.3).
        let synthesised = byName[name] == nil && !existing.contains(name)
        var type = question.type
        if !owned.contains(where: { $0.type == type }), type != .cname, owned.contains(where: { $0.type == .cname }) {
            type = .cname
        }
        let rrset = owned.filter { $0.type == type }
        guard !rrset.isEmpty else { return message(.noError, proof: true) }
        let signatures = owned.filter { signature in
            guard signature.typeCovered == type else { return false }
            // At a zone apex, a DS is signed by the parent and everything else by the zone.
            guard soas[name] != nil, let signer = RRSIGFields(signature)?.signer else { return true }
            return type == .ds ? signer != name : signer == name
        }
        return message(.noError, answer: rrset + signatures, proof: synthesised)
    }

    /// The closest zone apex at or above `name` (strictly above with `excludingItself`).
    func enclosingApex(of name: DomainName, excludingItself: Bool) -> DomainName? {
        var candidate: DomainName? = excludingItself ? name.parent : name
        while let current = candidate {
            if soas[current] != nil { return current }
            candidate = current.parent
        }
        return nil
    }

    /// The highest name strictly between `zone` and `name` (or `name` itself, unless asked for
    /// its DS) that has NS records and is not an apex in the data: a delegation to a child zone
    /// the data does not hold.
    private func delegation(above name: DomainName, below zone: DomainName) -> DomainName? {
        let depth = name.labels.count - zone.labels.count
        guard depth > 0 else { return nil }
        for kept in (zone.labels.count + 1)...name.labels.count {
            let candidate = name.suffix(labels: kept)
            if soas[candidate] != nil { return nil }
            if candidate == name { return nil }
            if byName[candidate]?.contains(where: { $0.type == .ns }) == true { return candidate }
        }
        return nil
    }

    /// A referral to the child zone at `cut`: its NS records, and its DS records or the NSEC
    /// records proving it has none, with their signatures (RFC 4035 §3.1.4).
    private func referral(_ question: DNSQuestion, cut: DomainName) -> DNSSECMessage {
        let atCut = byName[cut] ?? []
        var authority = atCut.filter { $0.type == .ns || $0.type == .ds || $0.typeCovered == .ds }
        if !authority.contains(where: { $0.type == .ds }), let zone = enclosingApex(of: cut, excludingItself: true) {
            authority += denialRecords[zone] ?? []
        }
        return DNSSECMessage(
            question: question, rcode: .noError, answer: [], authority: authority, isReferral: true, server: resolverDescription)
    }

    /// Groups the NSEC and NSEC3 records of `records`, and the RRSIGs over them, by the zone that
    /// owns them. An NSEC3's zone is its owner's parent; an NSEC with the SOA bit belongs to its
    /// owner, any other to the closest apex above a delegation point or at or above its owner;
    /// an RRSIG to its signer.
    static func denialRecords(_ records: [ResourceRecord], apexes: Set<DomainName>) -> [DomainName: [ResourceRecord]] {
        var byZone: [DomainName: [ResourceRecord]] = [:]
        for record in records {
            let zone: DomainName?
            switch record.type {
            case .nsec3:
                zone = record.name.parent
            case .nsec:
                guard let fields = DenialFields(record) else { continue }
                if fields.types.contains(.soa) {
                    zone = record.name
                } else {
                    var candidate: DomainName? = apexes.contains(record.name) ? record.name.parent : record.name
                    while let current = candidate, !apexes.contains(current) { candidate = current.parent }
                    zone = candidate
                }
            case .rrsig:
                guard let covered = record.typeCovered, covered == .nsec || covered == .nsec3 else { continue }
                zone = RRSIGFields(record)?.signer
            default:
                continue
            }
            if let zone { byZone[zone, default: []].append(record) }
        }
        return byZone
    }
}

extension OverlayResolver: DNSSECMessageSource, DeadlineAwareDNSSECSource {
    /// Names inside the zone data are answered from it (with their signatures, if the files are
    /// signed); a DS question at an apex whose parent is not in the data, and every name outside
    /// it, go to the `outside` source (offline: ``DNSError/Kind/outsideZoneData``).
    public func dnssecMessage(_ question: DNSQuestion) async throws(DNSError) -> DNSSECMessage {
        try await signedMessage(question, deadline: nil)
    }

    package func dnssecMessage(_ question: DNSQuestion, within deadline: DeadlineSignal) async throws(DNSError) -> DNSSECMessage {
        try await signedMessage(question, deadline: deadline)
    }

    private func signedMessage(_ question: DNSQuestion, deadline: DeadlineSignal?) async throws(DNSError) -> DNSSECMessage {
        let parentSide = question.type == .ds && apexes.contains(question.name)
        let local = parentSide ? question.name.parent.map(holds) ?? false : holds(question.name)
        if local { return try zones.signedMessage(question) }
        guard let outside else {
            throw DNSError(.outsideZoneData, question: question, server: zones.resolverDescription)
        }
        guard let source = outside as? any DNSSECMessageSource else {
            throw DNSError(
                .outsideZoneData, question: question, server: outside.resolverDescription,
                detail: "the resolver cannot give DNSSEC records")
        }
        return try await source.dnssecMessage(question, boundedBy: deadline)
    }
}
