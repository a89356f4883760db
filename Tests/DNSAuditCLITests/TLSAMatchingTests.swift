import DNSAudit
import DNSCore
import Foundation
import TestSupport
import Testing

/// TLSA matching (RFC 6698 §2.1, RFC 7672 §3.1) on DER certificates made by openssl, against
/// the records `ldns-dane create` makes for them: the reference implementation.
@Suite struct TLSAMatchingTests {
    /// A CA, a server certificate it issued, and an unrelated certificate, as DER and PEM files.
    struct Certificates {
        var directory: String
        var leaf: [UInt8]
        var ca: [UInt8]
        var other: [UInt8]
    }

    static func openssl(_ arguments: [String]) async throws {
        let output = try await ProcessRunner.run("/usr/bin/openssl", arguments, timeout: 30)
        guard output.status == 0 else { throw SignedTree.MakeError(description: "openssl \(arguments): \(output.stderrText)") }
    }

    static func make() async throws -> Certificates {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else {
            throw SignedTree.MakeError(description: "openssl missing: apt-get install openssl (scripts/install-deps --test)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dnsaudit-tlsa-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try await openssl(["req", "-x509"] + curve + ["-keyout", "\(directory)/ca.key", "-out", "\(directory)/ca.pem", "-subj", "/CN=Test CA", "-days", "30"])
        try await openssl(["req"] + curve + ["-keyout", "\(directory)/leaf.key", "-out", "\(directory)/leaf.csr", "-subj", "/CN=mx.example.test"])
        try await openssl([
            "x509", "-req", "-in", "\(directory)/leaf.csr", "-CA", "\(directory)/ca.pem", "-CAkey", "\(directory)/ca.key",
            "-CAcreateserial", "-out", "\(directory)/leaf.pem", "-days", "30",
        ])
        try await openssl(["req", "-x509"] + curve + ["-keyout", "\(directory)/other.key", "-out", "\(directory)/other.pem", "-subj", "/CN=mx.example.test", "-days", "30"])
        var der: [String: [UInt8]] = [:]
        for name in ["leaf", "ca", "other"] {
            try await openssl(["x509", "-in", "\(directory)/\(name).pem", "-outform", "DER", "-out", "\(directory)/\(name).der"])
            der[name] = Array(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name).der")))
        }
        let chain = try String(contentsOfFile: "\(directory)/leaf.pem", encoding: .utf8) + String(contentsOfFile: "\(directory)/ca.pem", encoding: .utf8)
        try chain.write(toFile: "\(directory)/chain.pem", atomically: true, encoding: .utf8)
        return Certificates(directory: directory, leaf: der["leaf"] ?? [], ca: der["ca"] ?? [], other: der["other"] ?? [])
    }

    /// The TLSA record `ldns-dane -c FILE create` makes for a certificate file.
    /// PKIX usages (0, 1) need a CA file for ldns-dane's own PKIX check: the chain's CA.
    static func ldnsDane(_ file: String, _ usage: Int, _ selector: Int, _ type: Int, caFile: String? = nil) async throws -> TLSARecord {
        let ca = caFile.map { ["-f", $0] } ?? []
        let output = try await ProcessRunner.run(
            "/usr/bin/ldns-dane", ca + ["-c", file, "create", "mx.example.test", "25", "\(usage)", "\(selector)", "\(type)"], timeout: 30)
        let fields = output.stdoutText.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        let index = try #require(fields.firstIndex(of: "TLSA"), "ldns-dane: \(output.stdoutText) \(output.stderrText)")
        let hex = Array(fields[(index + 4)...].joined().utf8)
        var data: [UInt8] = []
        var position = 0
        while position + 1 < hex.count {
            data.append(try #require(UInt8(String(decoding: hex[position...(position + 1)], as: UTF8.self), radix: 16)))
            position += 2
        }
        return TLSARecord(
            usage: try #require(UInt8(fields[index + 1])), selector: try #require(UInt8(fields[index + 2])),
            matchingType: try #require(UInt8(fields[index + 3])), data: data)
    }

    @Test func daneEERecordsMatchTheServersCertificateWithEverySelectorAndMatchingType() async throws {
        let certificates = try await Self.make()
        defer { try? FileManager.default.removeItem(atPath: certificates.directory) }
        for (selector, type) in [(1, 1), (0, 1), (1, 2), (0, 2), (1, 0), (0, 0)] {
            let record = try await Self.ldnsDane(certificates.directory + "/leaf.pem", 3, selector, type)
            #expect(TLSAMatch.evaluate(record, chain: [certificates.leaf, certificates.ca]) == .matched(certificateIndex: 0), "3 \(selector) \(type)")
            #expect(TLSAMatch.evaluate(record, chain: [certificates.other]) == .noMatch, "3 \(selector) \(type)")
            // DANE-EE names the server's certificate only, never one above it.
            #expect(TLSAMatch.evaluate(record, chain: [certificates.other, certificates.leaf]) == .noMatch)
        }
    }

    @Test func aDaneTARecordMatchesTheIssuerInTheChain() async throws {
        let certificates = try await Self.make()
        defer { try? FileManager.default.removeItem(atPath: certificates.directory) }
        let record = try await Self.ldnsDane(certificates.directory + "/chain.pem", 2, 0, 1)
        #expect(record.usage == .daneTA)
        #expect(TLSAMatch.evaluate(record, chain: [certificates.leaf, certificates.ca]) == .matched(certificateIndex: 1))
        #expect(TLSAMatch.evaluate(record, chain: [certificates.other]) == .noMatch)
    }

    @Test func pkixUsagesAreUnusableForSMTP() async throws {
        let certificates = try await Self.make()
        defer { try? FileManager.default.removeItem(atPath: certificates.directory) }
        for usage in [0, 1] {
            let record = try await Self.ldnsDane(
                certificates.directory + "/chain.pem", usage, 1, 1, caFile: certificates.directory + "/ca.pem")
            guard case .unusable(let why) = TLSAMatch.evaluate(record, chain: [certificates.leaf]) else {
                Issue.record("usage \(usage) was not unusable")
                continue
            }
            #expect(why.contains("RFC 7672 §3.1.3"))
        }
    }

    @Test func undefinedFieldsAndBadCertificatesAreNamed() {
        #expect(TLSAMatch.evaluate(TLSARecord(usage: 3, selector: 2, matchingType: 1, data: []), chain: [[0x30]])
            == .unusable("selector 2 is not defined (RFC 6698 §2.1.2)"))
        #expect(TLSAMatch.evaluate(TLSARecord(usage: 3, selector: 1, matchingType: 9, data: []), chain: [[0x30]])
            == .unusable("matching type 9 is not defined (RFC 6698 §2.1.3)"))
        #expect(TLSAMatch.evaluate(TLSARecord(usage: 3, selector: 1, matchingType: 1, data: []), chain: [[0x30, 0x03, 0x01]])
            == .malformedCertificate(index: 0))
        #expect(TLSAMatch.evaluate(TLSARecord(usage: 3, selector: 1, matchingType: 1, data: []), chain: []) == .noMatch)
    }
}
