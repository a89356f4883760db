@testable import DMARC
import DNSCore
import Foundation
import Testing

/// One `checkPublicSuffix(input, expected);` line of `Fixtures/psl/test_psl.txt`.
struct PSLVector: Sendable, CustomTestStringConvertible {
    let line: Int
    /// `nil` for the file's `null`.
    let input: String?
    let expected: String?

    var testDescription: String { "line \(line): \(input ?? "null") → \(expected ?? "null")" }

    /// Every uncommented vector. Lines commented out in the file (`//checkPublicSuffix`, the
    /// non-Internet `.local` TLD) are counted separately so none is dropped silently.
    static let all: [PSLVector] = parse().vectors
    static let commentedOut: Int = parse().commented

    private static func parse() -> (vectors: [PSLVector], commented: Int) {
        var vectors: [PSLVector] = []
        var commented = 0
        for (index, line) in Fixtures.text("psl/test_psl.txt").split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated()
        {
            if line.hasPrefix("//checkPublicSuffix") { commented += 1 }
            guard line.hasPrefix("checkPublicSuffix(") else { continue }
            let arguments = line.dropFirst("checkPublicSuffix(".count).prefix { $0 != ")" }
            let parts = arguments.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            func value(_ text: String) -> String? { text == "null" ? nil : String(text.dropFirst().dropLast()) }
            vectors.append(PSLVector(line: index + 1, input: value(parts[0]), expected: value(parts[1])))
        }
        return (vectors, commented)
    }
}

@Suite struct PublicSuffixListTests {
    static let list = PublicSuffixList.bundled

    @Test("The publicsuffix.org test vectors pass", arguments: PSLVector.all)
    func vector(_ vector: PSLVector) {
        let actual = vector.input.flatMap { Self.list.registrableDomain(of: $0) }
        #expect(actual == vector.expected)
    }

    @Test func theVectorFileHasSeventyEightActiveVectors() {
        #expect(PSLVector.all.count == 78)
        #expect(PSLVector.commentedOut == 4)
    }

    @Test func theBundledListLoadsBothSections() {
        // The rules of the bundled copy, counted as the format defines them (a Python one-liner gives 10,248).
        #expect(Self.list.ruleCount == 10_248)
        #expect(Self.list.publicSuffix(of: "foo.github.io")?.section == .private)
        #expect(Self.list.publicSuffix(of: "example.co.uk")?.section == .icann)
        #expect(Self.list.publicSuffix(of: "example.invalidtld")?.section == nil)
    }

    @Test func privateRulesCanBeLeftOut() {
        let text = "// ===BEGIN ICANN DOMAINS===\nio\n// ===END ICANN DOMAINS===\n"
            + "// ===BEGIN PRIVATE DOMAINS===\ngithub.io\n// ===END PRIVATE DOMAINS===\n"
        #expect(PublicSuffixList(parsing: text).registrableDomain(of: "a.b.github.io") == "b.github.io")
        #expect(PublicSuffixList(parsing: text, includePrivate: false).registrableDomain(of: "a.b.github.io") == "github.io")
    }

    /// The reader's byte-level line handling: indentation, CRLF, text after a rule, upper case,
    /// and a Unicode rule matched in both its U-label and A-label forms.
    @Test func readsLinesAsTheFormatDefinesThem() {
        let text = "// comment\r\n  co.uk  \r\n\tEXAMPLE.ORG extra words\n\n   \n*.kawasaki.jp\n!city.kawasaki.jp\nаб.рф\n"
        let list = PublicSuffixList(parsing: text)
        #expect(list.ruleCount == 5)
        #expect(list.registrableDomain(of: "a.b.co.uk") == "b.co.uk")
        #expect(list.registrableDomain(of: "x.shop.example.org") == "shop.example.org")
        #expect(list.registrableDomain(of: "a.b.c.kawasaki.jp") == "b.c.kawasaki.jp")
        #expect(list.registrableDomain(of: "www.city.kawasaki.jp") == "city.kawasaki.jp")
        #expect(list.registrableDomain(of: "x.y.аб.рф") == "y.аб.рф")
        #expect(list.registrableDomain(of: "x.y.xn--80ac.xn--p1ai") == "y.xn--80ac.xn--p1ai")
    }

    @Test func wildcardsAndExceptions() {
        let list = PublicSuffixList(parsing: "ck\n*.ck\n!www.ck\n")
        #expect(list.registrableDomain(of: "a.b.ck") == "a.b.ck")
        #expect(list.registrableDomain(of: "b.ck") == nil)
        #expect(list.registrableDomain(of: "www.ck") == "www.ck")
    }

    @Test func loadsAListFromAFile() throws {
        let path = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/DMARC/Resources/public_suffix_list.dat").path
        let list = try PublicSuffixList(contentsOfFile: path)
        #expect(list.source == path)
        #expect(list.ruleCount == Self.list.ruleCount)
        #expect(throws: (any Error).self) { try PublicSuffixList(contentsOfFile: "/nonexistent/list.dat") }
    }

    @Test func theRFC7489OrganizationalDomainOfAPublicSuffixIsItself() throws {
        #expect(Self.list.organizationalDomain(of: try DomainName("a.b.example.co.uk")).description == "example.co.uk")
        #expect(Self.list.organizationalDomain(of: try DomainName("co.uk")).description == "co.uk")
    }

    @Test(arguments: [("公司", "xn--55qx5d"), ("中国", "xn--fiqs8s"), ("食狮", "xn--85x722f"), ("bücher", "xn--bcher-kva")])
    func punycodeEncodesLabels(_ unicode: String, _ ascii: String) {
        #expect(Punycode.toASCII(label: Substring(unicode)) == ascii)
    }
}

@Suite struct SystemPublicSuffixListTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: PublicSuffixList.systemPath)))
    func loadsTheSystemCopy() throws {
        let list = try #require(PublicSuffixList.system())
        #expect(list.source == PublicSuffixList.systemPath)
        #expect(list.registrableDomain(of: "www.example.co.uk") == "example.co.uk")
    }
}
