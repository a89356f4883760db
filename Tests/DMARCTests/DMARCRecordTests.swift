import DMARC
import Foundation
import Testing

/// One case of `Fixtures/dmarc/dmarc-record-parse-cases.json`.
struct RecordCase: Decodable, Sendable, CustomTestStringConvertible {
    let id: String
    let record: String
    let expectValid: Bool
    let expectedFields: [String: JSONValue]?

    enum CodingKeys: String, CodingKey {
        case id, record
        case expectValid = "expect_valid"
        case expectedFields = "expected_fields"
    }

    var testDescription: String { id }

    static let all: [RecordCase] = {
        struct File: Decodable { let cases: [RecordCase] }
        do {
            return try JSONDecoder().decode(File.self, from: Fixtures.data("dmarc/dmarc-record-parse-cases.json")).cases
        } catch { fatalError("\(error)") }
    }()
}

/// Where RFC 9989 reads a case differently from the implementation that contributed it, and why.
/// The same table is in `Tests/Fixtures/dmarc/DEVIATIONS.md`.
let validityDeviations: [String: String] = {
    let ignoredValue = "RFC 9989 §4.8: syntax errors in the remainder of the record are discarded in favour of defaults"
    let removed = "RFC 9989 removed this tag (Appendix C); unknown tags MUST be ignored (§4.7)"
    let missingP = "RFC 9989 §4.7 p: a record without p is treated as p=none"
    return [
        "opendmarc:test_dmarc_parse[5]": "p=n is not none/quarantine/reject (§4.8 dmarc-request) and there is no rua: no DMARC processing (§4.10.1)",
        "opendmarc:test_dmarc_parse[10]": ignoredValue + " (adkim=bob → r)",
        "opendmarc:test_dmarc_parse[11]": ignoredValue + " (aspf=bob → r)",
        "opendmarc:test_dmarc_parse[12]": removed + " (rf)",
        "opendmarc:test_dmarc_parse[13]": removed + " (ri)",
        "opendmarc:test_dmarc_parse[14]": removed + " (pct)",
        "opendmarc:test_dmarc_parse[15]": missingP + "; pct is ignored",
        "opendmarc:test_dmarc_parse[19]": removed + " (rf)",
        "mox:TestParse.bad[3]": "RFC 9989 §4.8 dmarc-record = dmarc-version *(dmarc-sep dmarc-tag) [dmarc-sep]: no ';' needed; " + missingP,
        "mox:TestParse.bad[6]": missingP,
        "mox:TestParse.bad[8]": "RFC 9989 §4.8 lets p appear anywhere after v (RFC 7489 §6.4 wanted it second); reported as dmarc.p-not-second",
        "mox:TestParse.bad[11]": ignoredValue + " (the empty tag-spec); " + missingP,
        "mox:TestParse.bad[12]": ignoredValue + " (adkim=x → r); " + missingP,
        "mox:TestParse.bad[13]": ignoredValue + " (aspf=123 → r); " + missingP,
        "mox:TestParse.bad[14]": removed + " (ri); " + missingP,
        "mox:TestParse.bad[15]": removed + " (ri); " + missingP,
        "mox:TestParse.bad[16]": removed + " (ri); " + missingP,
        "mox:TestParse.bad[17]": removed + " (ri); " + missingP,
        "mox:TestParse.bad[18]": removed + " (ri); " + missingP,
        "mox:TestParse.bad[19]": ignoredValue + " (fo= → 0); " + missingP,
        "mox:TestParse.bad[20]": ignoredValue + " (fo=01 → 0); " + missingP,
        "mox:TestParse.bad[21]": ignoredValue + " (fo=bad → 0); " + missingP,
        "mox:TestParse.bad[22]": removed + " (rf); " + missingP,
        "mox:TestParse.bad[23]": removed + " (rf); " + missingP,
        "mox:TestParse.bad[24]": removed + " (rf); " + missingP,
        "mox:TestParse.bad[27]": removed + " (pct); " + missingP,
        "mox:TestParse.bad[28]": removed + " (pct); " + missingP,
        "mox:TestParse.bad[29]": removed + " (pct); " + missingP,
        "mox:TestParse.bad[30]": ignoredValue + " (empty rua); " + missingP,
        "mox:TestParse.bad[31]": "an invalid rua URI is dropped and reported (§4.8); " + missingP,
        "mox:TestParse.bad[32]": "an invalid rua URI ('!' with no size) is dropped and reported (§4.8); " + missingP,
        "mox:TestParse.bad[33]": "obs-dmarc-report-size is 1*DIGIT with no bound and reporters ignore it (§4.8): URI kept, size flagged; " + missingP,
        "mox:TestParse.bad[34]": "an invalid rua URI (size unit p) is dropped and reported (§4.8); " + missingP,
    ]
}()

/// Fields (of `expected_fields`) where RFC 9989 reads the case differently, and why.
let fieldDeviations: [String: [String: String]] = [
    "mox:TestParse.valid[5]": [
        "fo": "fo=0:1:d:s is invalid: 0 and 1 are mutually exclusive (RFC 9989 §4.7, §4.8 dmarc-fo), so the default 0 applies",
    ],
    "mail-auth:parse_dmarc[4]": [
        "rua": "\"!10 K\" and \" ! 2G\" hold whitespace, which neither RFC 3986 URIs nor obs-dmarc-report-size allow (RFC 9989 §4.8): both entries are dropped",
    ],
]

/// Whether an RFC 9989 receiver applies DMARC with this record (possibly as p=none).
func readsAsValid(_ text: String) -> Bool {
    guard let record = try? DMARCRecord.parse(text) else { return false }
    if case .skip = record.processing(for: .rfc9989) { return false }
    return true
}

@Suite struct DMARCRecordCaseTests {
    @Test("The 66 record cases read as RFC 9989 reads them", arguments: RecordCase.all)
    func recordCaseValidity(_ testCase: RecordCase) {
        let deviation = validityDeviations[testCase.id]
        let expected = deviation == nil ? testCase.expectValid : !testCase.expectValid
        #expect(readsAsValid(testCase.record) == expected, "\(testCase.record.debugDescription) deviation: \(deviation ?? "none")")
    }

    @Test func theCaseFileHasSixtySixCasesAndEveryDeviationNamesOne() {
        #expect(RecordCase.all.count == 66)
        let ids = Set(RecordCase.all.map(\.id))
        #expect(Set(validityDeviations.keys).isSubset(of: ids))
        #expect(Set(fieldDeviations.keys).isSubset(of: ids))
    }

    @Test("Expected fields match, except listed deviations", arguments: RecordCase.all.filter { $0.expectedFields != nil })
    func recordCaseFields(_ testCase: RecordCase) throws {
        let record = try DMARCRecord.parse(testCase.record)
        let deviating = fieldDeviations[testCase.id] ?? [:]
        for (field, value) in testCase.expectedFields ?? [:] where deviating[field] == nil {
            let actual = describeField(field, of: record, like: value, source: testCase.id)
            guard let actual else { continue }
            #expect(actual == normalized(field, value), "\(testCase.id) field \(field)")
        }
    }

    /// Renders a field of the record in the fixture's shape; `nil` for fields not compared.
    private func describeField(_ field: String, of record: DMARCRecord, like value: JSONValue, source: String) -> String? {
        let p = record.requestedPolicy(for: .rfc9989)
        switch field {
        case "p": return p?.rawValue
        case "sp": return (record.subdomainPolicy ?? p)?.rawValue
        case "np": return (record.nonexistentSubdomainPolicy ?? record.subdomainPolicy ?? p)?.rawValue
        case "adkim": return record.dkimAlignment.rawValue
        case "aspf": return record.spfAlignment.rawValue
        case "psd": return record.publicSuffixDomain == .unspecified ? "default" : record.publicSuffixDomain.rawValue
        case "t": return String(record.testing)
        case "pct": return String(record.percentage ?? 100)
        case "ri": return String(record.reportInterval ?? 86400)
        case "rf": return (record.reportFormats ?? ["afrf"]).joined(separator: ",")
        case "fo": return record.failureReportingOptions.map(\.rawValue).sorted().joined(separator: ",")
        case "rua", "ruf":
            let uris = field == "rua" ? record.aggregateReportURIs : record.failureReportURIs
            if source.hasPrefix("mail-auth") {
                return uris.map { "\($0.mailbox.map(String.init(describing:)) ?? $0.uri) \($0.legacySizeLimit ?? 0)" }
                    .joined(separator: ";")
            }
            return uris.map { uri in
                uri.uri + (uri.legacySizeText.map { " \($0.dropLast()) \($0.suffix(1).lowercased())" } ?? "")
            }.joined(separator: ";")
        default: return nil
        }
    }

    private func normalized(_ field: String, _ value: JSONValue) -> String {
        switch field {
        case "pct", "ri": return String(Int(value.number ?? -1))
        case "t": return String(value.bool ?? false)
        case "rf": return (value.array ?? []).compactMap(\.string).joined(separator: ",")
        case "fo":
            if let list = value.array { return list.compactMap(\.string).sorted().joined(separator: ",") }
            let head = (value.string ?? "").split(separator: " ").first.map(String.init) ?? ""
            return head.split(separator: ":").map(String.init).sorted().joined(separator: ",")
        case "rua", "ruf":
            return (value.array ?? []).map { entry in
                if let pair = entry.array {
                    return "\(pair.first?.string ?? "") \(Int(pair.last?.number ?? 0))"
                }
                let object = entry.object ?? [:]
                var text = object["uri"]?.string ?? ""
                if let size = object["max_size"]?.number { text += " \(Int(size)) \(object["unit"]?.string ?? "")" }
                return text
            }.joined(separator: ";")
        default: return (value.string ?? value.description).lowercased()
        }
    }
}

@Suite struct DMARCRecordParsingTests {
    @Test func readsEveryTagOfRFC9989() throws {
        let record = try DMARCRecord.parse(
            "v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; psd=n; t=y; "
                + "rua=mailto:agg@example.com; ruf=mailto:fail@example.com; fo=1:d")
        #expect(record.policy == .reject)
        #expect(record.subdomainPolicy == .quarantine)
        #expect(record.nonexistentSubdomainPolicy == .reject)
        #expect(record.dkimAlignment == .strict)
        #expect(record.spfAlignment == .relaxed)
        #expect(record.publicSuffixDomain == .no)
        #expect(record.testing)
        #expect(record.aggregateReportURIs.map(\.mailbox?.description) == ["agg@example.com"])
        #expect(record.failureReportURIs.map(\.mailbox?.domain.description) == ["example.com"])
        #expect(record.failureReportingOptions == [.any, .dkim])
        #expect(record.issues.isEmpty)
    }

    @Test func reportsADuplicateTagWithTheOffsetOfItsSecondOccurrence() {
        let text = "v=DMARC1; p=none; p=reject"
        let error = #expect(throws: DMARCRecordError.self) { try DMARCRecord.parse(text) }
        #expect(error?.code == .duplicateTag)
        #expect(error?.offset == 18)
    }

    @Test func rejectsAVersionThatIsNotFirstOrNotExactlyDMARC1() {
        for text in ["p=none; v=DMARC1", "v=dmarc1; p=none", "v=DMARC2; p=none", " ; v=DMARC1"] {
            let error = #expect(throws: DMARCRecordError.self, "\(text)") { try DMARCRecord.parse(text) }
            #expect(error?.code == .notDMARC)
        }
    }

    @Test func keepsRemovedTagsForRFC7489AndReportsThem() throws {
        let record = try DMARCRecord.parse("v=DMARC1; p=quarantine; pct=20; rf=afrf; ri=3600")
        #expect(record.percentage == 20)
        #expect(record.reportFormats == ["afrf"])
        #expect(record.reportInterval == 3600)
        #expect(record.issues.filter { $0.kind == .removedTag }.compactMap(\.tag) == ["pct", "rf", "ri"])
        #expect(record.issues.first { $0.tag == "pct" }?.offset == 24)
    }

    @Test func reportsUnknownTagsAndBadValuesAtTheirOffsets() throws {
        let text = "v=DMARC1; p=none; foo=bar; adkim=x"
        let record = try DMARCRecord.parse(text)
        let unknown = try #require(record.issues.first { $0.kind == .unknownTag })
        #expect(unknown.offset == 18)
        let bad = try #require(record.issues.first { $0.kind == .invalidValue })
        #expect(bad.tag == "adkim")
        #expect(bad.offset == 33)
        #expect(record.dkimAlignment == .relaxed)
    }

    @Test func acceptsTheLegacySizeSuffixAndFlagsItObsolete() throws {
        let record = try DMARCRecord.parse("v=DMARC1; p=none; rua=mailto:a@example.com!10m,mailto:b@example.net")
        #expect(record.aggregateReportURIs.count == 2)
        #expect(record.aggregateReportURIs[0].legacySizeLimit == 10 << 20)
        #expect(record.aggregateReportURIs[0].uri == "mailto:a@example.com")
        let flagged = record.issues.filter { $0.kind == .obsoleteSizeLimit }
        #expect(flagged.count == 1)
        #expect(flagged.first?.offset == 42)
    }

    @Test func dropsABadURIAndSaysWhereItIs() throws {
        let text = "v=DMARC1; p=none; rua=mailto:ok@example.com, bogus"
        let record = try DMARCRecord.parse(text)
        #expect(record.aggregateReportURIs.count == 1)
        let issue = try #require(record.issues.first { $0.kind == .invalidURI })
        #expect(issue.offset == 45)
    }

    @Test func aMissingPolicyIsNoneForRFC9989ButNotForRFC7489() throws {
        let bare = try DMARCRecord.parse("v=DMARC1")
        #expect(bare.requestedPolicy(for: .rfc9989) == DMARCRecord.Policy.none)
        #expect(bare.processing(for: .rfc7489) == .skip(.missingPolicy))
        let withRUA = try DMARCRecord.parse("v=DMARC1; rua=mailto:r@example.com")
        #expect(withRUA.processing(for: .rfc7489) == .treatAsNone(.missingPolicy))
    }

    @Test func anInvalidPolicyWithAValidRUAActsAsNone() throws {
        let record = try DMARCRecord.parse("v=DMARC1; p=reject; np=bogus; rua=mailto:r@example.com")
        #expect(record.processing(for: .rfc9989) == .treatAsNone(.invalidPolicy))
        #expect(record.requestedPolicy(for: .rfc9989) == DMARCRecord.Policy.none)
        // RFC 7489 does not know np: p=reject applies.
        #expect(record.requestedPolicy(for: .rfc7489) == .reject)
    }

    @Test func roundTripsThroughCodable() throws {
        let record = try DMARCRecord.parse("v=DMARC1; p=reject; rua=mailto:a@example.com!1k; pct=50")
        let data = try JSONEncoder().encode(record)
        #expect(try JSONDecoder().decode(DMARCRecord.self, from: data) == record)
    }
}
