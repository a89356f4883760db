import Foundation
import IDNA
import TestSupport
import Testing

/// Internationalized domain names (issue 14): U-labels become A-labels through libidn2 under
/// IDNA2008 with the UTS #46 non-transitional mapping; the report shows both forms; a bad label
/// is named; a list holds a domain once whatever form it is written in.
@Suite struct IDNTests {
    /// Expected A-labels from the standards' own examples: RFC 3492 §7.1 and UTS #46 §4 / its
    /// IdnaTestV2.txt (non-transitional: ß and ς are kept, not mapped to ss and σ).
    @Test(arguments: [
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),  // UTS #46 maps to lower case
        ("faß.de", "xn--fa-hia.de"),  // non-transitional; transitional would give fass.de
        ("日本語。jp", "xn--wgv71a119e.jp"),  // the ideographic full stop is a dot
        ("u\u{0308}ber.example", "xn--ber-goa.example"),  // NFC input: u + combining diaeresis is ü
        ("example.com", "example.com"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ])
    func convertsULabelsToALabels(unicode: String, ascii: String) throws {
        #expect(try IDNA.ascii(unicode) == ascii)
    }

    @Test func decodesALabelsForDisplay() {
        #expect(IDNA.unicode("xn--bcher-kva.example") == "bücher.example")
        #expect(IDNA.unicode("example.com") == nil)
    }

    @Test(arguments: [("a\u{200D}b.example", "a\u{200D}b"), ("ok.a☃b.example", "a☃b"), ("good.☃\u{0301}\u{0301}-.example", "☃\u{0301}\u{0301}-")])
    func aLabelThatCannotBeConvertedIsNamed(name: String, label: String) {
        #expect {
            try IDNA.ascii(name)
        } throws: { error in
            guard let error = error as? IDNA.ConversionError else { return false }
            return error.label == label || error.label == name
        }
    }

    static let zones: String = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("idn-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let zone = """
            $ORIGIN xn--bcher-kva.example.
            $TTL 300
            @ SOA ns hm 1 3600 600 86400 60
            @ NS ns
            ns A 127.0.0.1
            @ MX 0 .
            @ TXT "v=spf1 -all"
            _dmarc TXT "v=DMARC1; p=reject"

            """
        try? zone.write(toFile: directory + "/xn--bcher-kva.example.zone", atomically: true, encoding: .utf8)
        return directory
    }()

    @Test func theReportShowsBothForms() async throws {
        let result = try await CLIRunner.run(["bücher.example", "--zone", Self.zones, "--offline"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("dnsaudit bücher.example (xn--bcher-kva.example)"), "\(result.stdout.prefix(200))")
        let last = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("bücher.example (xn--bcher-kva.example): sending"), "\(last)")
        let json = try await CLIRunner.run(["bücher.example", "--zone", Self.zones, "--offline", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["domain"] as? String == "xn--bcher-kva.example")
        #expect(object["domainUnicode"] as? String == "bücher.example")
        let plain = try await CLIRunner.run(["shop.example", "--zone", KnotServer.fixtures("../../Examples/zones"), "--offline", "--format", "json"])
        #expect(!plain.stdout.contains("domainUnicode"), "an ASCII name has no Unicode form to add")
    }

    @Test func aListHoldsADomainOnceWhateverFormItIsWrittenIn() async throws {
        let list = "bücher.example\nBÜCHER.example.\r\nxn--bcher-kva.example # the A-label\nbu\u{0308}cher.example\n"
        let result = try await CLIRunner.run(
            ["--domains-file", "-", "--zone", Self.zones, "--offline", "--format", "jsonl"], stdin: Array(list.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 1, "\(result.stdout)")
    }

    @Test func anInvalidNameIsAUsageErrorNamingTheLabel() async throws {
        let result = try await CLIRunner.run(["a\u{200D}b.example", "--nameserver", "127.0.0.1:1"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("label \"a\u{200D}b\""), "\(result.stderr)")
        #expect(result.stderr.contains("not a valid internationalized domain name"))
        let listed = try await CLIRunner.run(
            ["--domains-file", "-", "--zone", Self.zones, "--offline"], stdin: Array("a\u{200D}b.example\nbücher.example\n".utf8))
        #expect(listed.status == 2, "a skipped line: \(listed.stderr)")
        #expect(listed.stderr.contains("line 1") && listed.stderr.contains("a\u{200D}b"), "\(listed.stderr)")
        let spf = try await CLIRunner.run(["spf", "bücher.example", "--zone", Self.zones, "--offline"])
        #expect(spf.stdout.hasPrefix("SPF xn--bcher-kva.example"), "\(spf.stdout)")
        let testkey = try await CLIRunner.run(
            ["dkim", "testkey", "--domain", "bücher.example", "--selector", "s1", "--zone", Self.zones, "--offline"])
        #expect(testkey.stdout.hasPrefix("s1._domainkey.xn--bcher-kva.example."), "\(testkey.stdout)")
    }
}
