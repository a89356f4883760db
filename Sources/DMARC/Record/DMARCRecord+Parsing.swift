import DNSCore
import MailAuthCore

extension DMARCRecord {
    /// Tags registered by RFC 9989 §9.4 (the ones a receiver processes).
    public static let registeredTags: Set<String> = ["v", "p", "sp", "np", "adkim", "aspf", "psd", "t", "rua", "ruf", "fo"]
    /// Tags defined by RFC 7489 §6.3 and removed by RFC 9989 (RFC 9989 Appendix C).
    public static let removedTags: Set<String> = ["pct", "rf", "ri"]

    /// Whether `text` starts with `v=DMARC1`, the test the tree walk applies before counting
    /// records at a name (RFC 9989 §4.10 step 2).
    public static func startsWithVersion(_ text: String) -> Bool {
        // Only the first tag-spec decides; the rest is left to `parse`.
        (try? parseVersion(Array(text.utf8), text, firstOnly: true)) != nil
    }

    /// Parses a DMARC Policy Record.
    ///
    /// ```
    /// dmarc-record  = dmarc-version *(dmarc-sep dmarc-tag) [dmarc-sep]
    /// dmarc-version = "v" equals %s"DMARC1"         ; case sensitive
    /// dmarc-sep     = *WSP ";" *WSP
    /// equals        = *WSP "=" *WSP
    /// dmarc-tag     = 1*ALPHA equals 1*dmarc-value
    /// dmarc-value   = %x20-3A / %x3C-7E
    /// ```
    /// (RFC 9989 §4.8.) Tag names and the quoted values of the grammar are case-insensitive
    /// (RFC 5234 §2.3); only `DMARC1` is case-sensitive. A tag-spec that does not parse, a value
    /// outside its grammar and an unknown tag are ignored and reported in ``issues`` (RFC 9989 §4.8:
    /// "syntax errors in the remainder of the record MUST be discarded in favor of default values").
    ///
    /// - Throws: ``DMARCRecordError`` when the text is not a DMARC record: empty, `v=DMARC1` not
    ///   first (RFC 9989 §4.7 `v`: "the entire record MUST be ignored"), or a tag repeated (the
    ///   tag-list is invalid, RFC 6376 §3.2, whose syntax RFC 9989 §4.7 adopts).
    public static func parse(_ text: String) throws(DMARCRecordError) -> DMARCRecord {
        let bytes = Array(text.utf8)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
            throw DMARCRecordError(code: .empty, offset: 0, message: "the record is empty", text: text)
        }
        let specs = try parseVersion(bytes, text)
        var record = DMARCRecord(text: text)
        var seen: [String: Int] = [:]
        for (index, spec) in specs.enumerated() {
            switch spec {
            case .empty(let offset):
                record.issues.append(.init(.syntax, tag: nil, offset: offset, message: "empty tag-spec (\";;\") ignored"))
            case .invalid(let error):
                record.issues.append(.init(.syntax, tag: error.term, offset: error.offset, message: error.message + "; ignored"))
            case .tag(let tag):
                let name = tag.name.lowercased()
                if let first = seen[name] {
                    throw DMARCRecordError(
                        code: .duplicateTag, offset: tag.offset,
                        message: "tag \"\(name)\" appears again (first at offset \(first)); a tag-list with duplicate tags is invalid",
                        text: text)
                }
                seen[name] = tag.offset
                record.tags.append(tag)
                // The first tag after v=, not the second spec: empty or invalid specs do not count.
                if record.tags.count == 2, name == "p" { record.policyFollowsVersion = true }
                if index > 0 { record.apply(tag, name: name) }
            }
        }
        if record.hasPolicyTag, !record.policyFollowsVersion, let p = record.tags.first(where: { $0.name.lowercased() == "p" }) {
            record.issues.append(
                .init(.policyNotSecond, tag: "p", offset: p.offset,
                      message: "RFC 7489 receivers expect p right after v=DMARC1; RFC 9989 accepts it anywhere"))
        }
        return record
    }

    private enum Spec {
        case tag(RecordTag)
        case empty(Int)
        case invalid(SyntaxError)
    }

    /// Splits the record into tag-specs and checks the first is `v=DMARC1`.
    private static func parseVersion(
        _ bytes: [UInt8], _ text: String, firstOnly: Bool = false
    ) throws(DMARCRecordError) -> [Spec] {
        var specs: [Spec] = []
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: ";") { end += 1 }
            let isLast = end == bytes.count
            var lower = start
            var upper = end
            while lower < upper, ASCII.isFoldingWhitespace(bytes[lower]) { lower += 1 }
            while upper > lower, ASCII.isFoldingWhitespace(bytes[upper - 1]) { upper -= 1 }
            if lower == upper {
                if !isLast || specs.isEmpty { specs.append(.empty(lower)) }
            } else {
                let piece = String(decoding: bytes[lower..<upper], as: UTF8.self)
                do {
                    let list = try TagList.parse(piece, allowEmptySpecs: true)
                    if let tag = list.tags.first {
                        specs.append(.tag(RecordTag(name: tag.name, value: tag.value, offset: lower + tag.nameOffset,
                                                    valueOffset: lower + tag.valueOffset)))
                    }
                } catch {
                    specs.append(.invalid(SyntaxError(offset: lower + error.offset, term: error.term, message: error.message,
                                                      input: text)))
                }
            }
            if isLast || (firstOnly && !specs.isEmpty) { break }
            start = end + 1
        }
        guard case .tag(let first) = specs.first, first.name.lowercased() == "v" else {
            throw DMARCRecordError(code: .notDMARC, offset: 0, message: "a DMARC record must start with v=DMARC1", text: text)
        }
        guard first.value == "DMARC1" else {
            throw DMARCRecordError(
                code: .notDMARC, offset: first.valueOffset,
                message: "v must be exactly \"DMARC1\" (case-sensitive), found \"\(first.value)\"", text: text)
        }
        return specs
    }

    private mutating func apply(_ tag: RecordTag, name: String) {
        let value = tag.value
        func invalid(_ expected: String) {
            issues.append(.init(.invalidValue, tag: name, offset: tag.valueOffset,
                                message: "\(name)=\(value.isEmpty ? "(empty)" : value) is not valid (expected \(expected)); ignored"))
        }
        switch name {
        case "p", "sp", "np":
            if name == "p" { hasPolicyTag = true }
            guard let policy = Policy(rawValue: value.lowercased()) else {
                hasInvalidPolicyValue = true
                invalid("none, quarantine or reject")
                return
            }
            switch name {
            case "p": self.policy = policy
            case "sp": subdomainPolicy = policy
            default: nonexistentSubdomainPolicy = policy
            }
        case "adkim", "aspf":
            guard let mode = AlignmentMode(rawValue: value.lowercased()) else { return invalid("r or s") }
            if name == "adkim" { dkimAlignment = mode } else { spfAlignment = mode }
        case "psd":
            guard let flag = PublicSuffixDomainFlag(rawValue: value.lowercased()) else { return invalid("y, n or u") }
            publicSuffixDomain = flag
        case "t":
            switch value.lowercased() {
            case "y": testing = true
            case "n": testing = false
            default: invalid("y or n")
            }
        case "rua", "ruf":
            let uris = parseURIList(value, at: tag.valueOffset, tag: name)
            if name == "rua" { aggregateReportURIs = uris } else { failureReportURIs = uris }
        case "fo":
            guard let options = Self.parseFailureOptions(value) else {
                return invalid("0 or 1 and optionally d and s, colon-separated, 0 and 1 not both")
            }
            failureReportingOptions = options
        case "pct":
            removed(tag, name: name, meaning: "sampling percentage; RFC 9989 uses t=y for testing instead")
            guard (1...3).contains(value.utf8.count), value.utf8.allSatisfy(ASCII.isDigit), let number = Int(value),
                  number <= 100
            else { return invalid("an integer from 0 to 100") }
            percentage = number
        case "rf":
            removed(tag, name: name, meaning: "failure report format")
            let formats = value.split(separator: ":", omittingEmptySubsequences: false).map {
                $0.trimmingWSP()
            }
            guard formats.allSatisfy(Self.isKeyword) else { return invalid("keywords separated by ':' (afrf)") }
            reportFormats = formats.map { $0.lowercased() }
        case "ri":
            removed(tag, name: name, meaning: "aggregate report interval")
            guard !value.isEmpty, value.utf8.allSatisfy(ASCII.isDigit), let seconds = UInt32(value) else {
                return invalid("a number of seconds (32-bit unsigned)")
            }
            reportInterval = seconds
        default:
            issues.append(.init(.unknownTag, tag: name, offset: tag.offset,
                                message: "unknown tag \"\(tag.name)\" ignored (RFC 9989 §4.7)"))
        }
    }

    private mutating func removed(_ tag: RecordTag, name: String, meaning: String) {
        issues.append(.init(.removedTag, tag: name, offset: tag.offset,
                            message: "\(name) (\(meaning)) was removed by RFC 9989; only RFC 7489 receivers read it"))
    }

    /// ```
    /// dmarc-fo   = ("0" / "1") *(":" dmarc-afrf)
    ///            / dmarc-afrf [":" ("0" / "1")] [":" dmarc-afrf]
    ///            / *(dmarc-afrf ":") ("0" / "1")
    /// dmarc-afrf = "d" / "s"   ; each may appear at most once in dmarc-fo
    /// ```
    /// and "0" and "1" are mutually exclusive (RFC 9989 §4.7, §4.8).
    static func parseFailureOptions(_ value: String) -> [FailureReportingOption]? {
        var options: [FailureReportingOption] = []
        for part in value.split(separator: ":", omittingEmptySubsequences: false) {
            guard let option = FailureReportingOption(rawValue: part.trimmingWSP().lowercased()),
                  !options.contains(option)
            else { return nil }
            options.append(option)
        }
        if options.contains(.all) && options.contains(.any) { return nil }
        return options.isEmpty ? nil : options
    }

    /// `Keyword = ALPHA / DIGIT / "-"`-runs that do not end with "-" (RFC 5321 §4.1.2, used by RFC 7489 `rf`).
    private static func isKeyword(_ text: String) -> Bool {
        guard let first = text.utf8.first, let last = text.utf8.last, ASCII.isAlnum(first), last != UInt8(ascii: "-") else {
            return false
        }
        return text.utf8.allSatisfy { ASCII.isAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// ```
    /// dmarc-urilist = (dmarc-uri / obs-dmarc-uri) *(*WSP "," *WSP (dmarc-uri / obs-dmarc-uri))
    /// obs-dmarc-uri = dmarc-uri obs-dmarc-report-size
    /// obs-dmarc-report-size = "!" 1*DIGIT [ "k" / "m" / "g" / "t" ]
    /// ```
    /// Commas and `!` inside a URI must be percent-encoded (RFC 9989 §4.8). Invalid entries are
    /// reported and dropped.
    private mutating func parseURIList(_ value: String, at valueOffset: Int, tag: String) -> [ReportURI] {
        var uris: [ReportURI] = []
        let bytes = Array(value.utf8)
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: ",") { end += 1 }
            var lower = start
            var upper = end
            while lower < upper, ASCII.isFoldingWhitespace(bytes[lower]) { lower += 1 }
            while upper > lower, ASCII.isFoldingWhitespace(bytes[upper - 1]) { upper -= 1 }
            let offset = valueOffset + lower
            let entry = String(decoding: bytes[lower..<upper], as: UTF8.self)
            switch ReportURI.parse(entry, offset: offset) {
            case .success(let uri):
                if let size = uri.legacySizeText {
                    let bytesText = uri.legacySizeLimit.map { "\($0) bytes" } ?? "too large to represent"
                    issues.append(.init(.obsoleteSizeLimit, tag: tag, offset: offset + uri.uri.utf8.count,
                                        message: "the !\(size) size limit (\(bytesText)) is obsolete; reporters ignore it (RFC 9989 §4.8)"))
                }
                uris.append(uri)
            case .failure(let reason):
                let shown = entry.isEmpty ? "(empty)" : "\"\(entry)\""
                issues.append(.init(.invalidURI, tag: tag, offset: offset, message: "\(tag) entry \(shown): \(reason); ignored"))
            }
            if end == bytes.count { break }
            start = end + 1
        }
        return uris
    }
}

extension ReportURI {
    /// Parses one `dmarc-uri` with an optional `obs-dmarc-report-size`.
    static func parse(_ entry: String, offset: Int) -> Result<ReportURI, ReportURIError> {
        if entry.isEmpty { return .failure(ReportURIError("empty URI")) }
        var uriText = Substring(entry)
        var sizeText: String?
        var limit: UInt64?
        if let bang = entry.firstIndex(of: "!") {
            uriText = entry[..<bang]
            let size = entry[entry.index(after: bang)...]
            sizeText = String(size)
            var digits = Substring(size)
            var multiplier: UInt64 = 1
            if let unit = size.last, !unit.isASCII || !unit.isNumber {
                switch unit.lowercased() {
                case "k": multiplier = 1 << 10
                case "m": multiplier = 1 << 20
                case "g": multiplier = 1 << 30
                case "t": multiplier = 1 << 40
                default: return .failure(ReportURIError("size unit \"\(unit)\" is not k, m, g or t"))
                }
                digits = size.dropLast()
            }
            guard !digits.isEmpty, digits.utf8.allSatisfy(ASCII.isDigit) else {
                return .failure(ReportURIError("\"!\" must be followed by a size in digits (or be written %21)"))
            }
            if let number = UInt64(digits) {
                let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
                limit = overflow ? nil : product
            }
        }
        let text = String(uriText)
        guard let colon = text.firstIndex(of: ":") else {
            return .failure(ReportURIError("not a URI (no scheme, e.g. mailto:)"))
        }
        let scheme = text[..<colon]
        guard let first = scheme.utf8.first, ASCII.isAlpha(first),
              scheme.utf8.allSatisfy({ ASCII.isAlnum($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") })
        else { return .failure(ReportURIError("invalid URI scheme \"\(scheme)\"")) }
        let rest = Array(text[text.index(after: colon)...].utf8)
        var index = 0
        while index < rest.count {
            let byte = rest[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < rest.count, isHex(rest[index + 1]), isHex(rest[index + 2]) else {
                    return .failure(ReportURIError("'%' must be followed by two hex digits"))
                }
                index += 3
                continue
            }
            guard isURIChar(byte) else {
                return .failure(ReportURIError("\(ASCII.describe(byte)) is not allowed in a URI (RFC 3986)"))
            }
            index += 1
        }
        var uri = ReportURI(uri: text, scheme: scheme.lowercased(), mailbox: nil, legacySizeLimit: limit,
                            legacySizeText: sizeText, offset: offset)
        if uri.scheme == "mailto" {
            guard let mailbox = mailtoMailbox(String(decoding: rest, as: UTF8.self)) else {
                return .failure(ReportURIError("a mailto: URI needs an address local@domain (RFC 6068)"))
            }
            uri.mailbox = mailbox
        }
        return .success(uri)
    }

    /// The first `addr-spec` of a `mailto:` URI (RFC 6068 §2), percent-decoded.
    private static func mailtoMailbox(_ body: String) -> Mailbox? {
        let to = body.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard let firstAddress = to.split(separator: ",", omittingEmptySubsequences: false).first else { return nil }
        let decoded = percentDecoded(String(firstAddress))
        guard let at = decoded.lastIndex(of: "@") else { return nil }
        let local = String(decoded[..<at])
        let domainText = decoded[decoded.index(after: at)...]
        guard !local.isEmpty, !local.hasPrefix("/"), !local.contains(" "),
              let domain = try? DomainName(domainText), domain.labels.count >= 1
        else { return nil }
        return Mailbox(localPart: local, domain: domain)
    }

    private static func percentDecoded(_ text: String) -> String {
        var output: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, let value = UInt8(
                String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                output.append(value)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// Why a reporting URI was rejected.
struct ReportURIError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

extension ReportURIError: CustomStringConvertible {
    var description: String { reason }
}

extension Substring {
    func trimmingWSP() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}

@inline(__always) func isHex(_ byte: UInt8) -> Bool {
    ASCII.isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
}

/// unreserved / reserved characters of RFC 3986 §2, except "!" and "," which DMARC requires
/// encoded (RFC 9989 §4.8); "%" is handled by the caller.
@inline(__always) func isURIChar(_ byte: UInt8) -> Bool {
    if ASCII.isAlnum(byte) { return true }
    switch byte {
    case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
        UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "#"), UInt8(ascii: "["),
        UInt8(ascii: "]"), UInt8(ascii: "@"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"),
        UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ";"),
        UInt8(ascii: "="):
        return true
    default:
        return false
    }
}

