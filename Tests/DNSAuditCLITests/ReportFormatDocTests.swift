import Foundation
import TestSupport
import Testing

/// docs/report-format.md lists every key each command prints in JSON (issue 14): this runs each
/// command on inputs that between them print every optional key, and fails when a key printed is
/// not in the command's table, or a key in the table is never printed.
///
/// A table row names keys in backticks (`records[].data`); a key whose children the table does not
/// list (`trace`, `readiness`) is checked as a whole.
@Suite struct ReportFormatDocTests {
    static let document = KnotServer.fixtures("../../docs/report-format.md")
    static let zones = KnotServer.fixtures("../../Examples/zones")

    /// The keys each `## \`dnsaudit …\`` section's tables name.
    static func documentedKeys() throws -> [String: Set<String>] {
        let text = try String(contentsOfFile: document, encoding: .utf8)
        var sections: [String: Set<String>] = [:]
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## `") {
                current = line.split(separator: "`").dropFirst().first.map(String.init)
                continue
            }
            guard let current, line.hasPrefix("| `") else { continue }
            let cell = line.split(separator: "|", omittingEmptySubsequences: true).first ?? ""
            for (index, part) in cell.split(separator: "`", omittingEmptySubsequences: false).enumerated() where index % 2 == 1 {
                var key = String(part)
                if key.hasSuffix("[]") { key.removeLast(2) }
                sections[current, default: []].insert(key)
            }
        }
        return sections
    }

    /// The key paths of `object`, descending only where `documented` lists children.
    static func paths(_ value: Any, prefix: String = "", documented: Set<String>) -> Set<String> {
        var found: Set<String> = []
        if let array = value as? [Any] {
            for element in array { found.formUnion(paths(element, prefix: prefix, documented: documented)) }
            return found
        }
        guard let object = value as? [String: Any] else { return found }
        for (key, child) in object {
            let path = prefix + key
            found.insert(path)
            let childPrefix = path + (child is [Any] ? "[]." : ".")
            if documented.contains(where: { $0.hasPrefix(childPrefix) }) {
                found.formUnion(paths(child, prefix: childPrefix, documented: documented))
            }
        }
        return found
    }

    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    /// Runs `invocations` and compares what they print with the section `command`.
    static func check(_ command: String, _ outputs: [String]) throws {
        let documented = try #require(try documentedKeys()[command], "no section for \(command)")
        var printed: Set<String> = []
        for output in outputs { printed.formUnion(paths(try json(output), documented: documented)) }
        #expect(printed.subtracting(documented).isEmpty, "\(command): printed, not documented: \(printed.subtracting(documented).sorted())")
        #expect(documented.subtracting(printed).isEmpty, "\(command): documented, never printed: \(documented.subtracting(printed).sorted())")
    }

    static func run(_ arguments: [String], stdin: String = "") async throws -> CLIRunner.Result {
        try await CLIRunner.run(arguments, stdin: Array(stdin.utf8))
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("docs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func theAuditsJSON() async throws {
        let result = try await Self.run(["--zone", Self.zones, "--offline", "--format", "json", "shop.example", "legacy.example", "nothing.example"])
        // A list with a line that is not a domain: its error record (JSON Lines).
        let list = try await Self.run(
            ["--zone", Self.zones, "--offline", "--format", "jsonl", "--domains-file", "-"], stdin: "shop.example\nnot..a.domain\nbücher.example\n")
        // A DNSSEC validation (the signed tree of DNSSECAuditCLITests, from its zone files).
        let signed = try await SignedTree.directory()
        let dnssec = try await Self.run(
            ["example.test", "--zone", signed, "--offline", "--trust-anchor", signed + "/anchor.key", "--format", "json"])
        try Self.check("dnsaudit DOMAIN", [result.stdout, dnssec.stdout] + list.stdout.split(separator: "\n").map(String.init))
    }

    @Test func spfAndDMARC() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            $ORIGIN spfdoc.test.
            $TTL 300
            @ SOA ns hm 1 3600 600 86400 60
            @ TXT "v=spf1 ip4:192.0.2.0/24 -all exp=why.spfdoc.test"
            why TXT "%{i} may not send for %{d}"
            broken TXT "v=spf1 include:nowhere.spfdoc.test -all"

            """.write(toFile: directory + "/spfdoc.test.zone", atomically: true, encoding: .utf8)
        let zone = ["--zone", directory, "--zone", Self.zones, "--offline", "--format", "json"]
        var outputs: [String] = []
        for arguments in [
            ["spf", "spfdoc.test"], ["spf", "spfdoc.test", "--ip", "198.51.100.1"], ["spf", "spfdoc.test", "--ip", "192.0.2.1"],
            ["spf", "broken.spfdoc.test", "--ip", "192.0.2.1"], ["spf", "nothing.example"],
        ] {
            outputs.append(try await Self.run(arguments + zone).stdout)
        }
        try Self.check("dnsaudit spf", outputs)
        let dmarc = try await Self.run(["dmarc", "legacy.example"] + zone)
        try Self.check("dnsaudit dmarc", [dmarc.stdout])
    }

    @Test func dkimKeygenSignVerifyAndTestkey() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keygen = try await Self.run(
            ["dkim", "keygen", "--domain", "keys.test", "--selector", "k1", "--directory", directory, "--format", "json"])
        try Self.check("dnsaudit dkim keygen", [keygen.stdout])
        let record = try String(contentsOfFile: directory + "/k1.txt", encoding: .utf8)
        try "$ORIGIN keys.test.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n\(record)".write(
            toFile: directory + "/keys.test.zone", atomically: true, encoding: .utf8)
        let message = "From: a@keys.test\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nhello\r\n"
        let signed = try await Self.run(
            ["dkim", "sign", "--domain", "keys.test", "--selector", "k1", "--key", directory + "/k1.private", "--identity", "a@keys.test",
             "--body-length"], stdin: message)
        #expect(signed.status == 0, "\(signed.stderr)")
        let verify = try await Self.run(["dkim", "verify", "--zone", directory, "--offline", "--format", "json"], stdin: signed.stdout)
        try Self.check("dnsaudit dkim verify", [verify.stdout])
        let testkey = try await Self.run(
            ["dkim", "testkey", "--domain", "legacy.example", "--selector", "default", "--zone", Self.zones, "--offline", "--format", "json"])
        try Self.check("dnsaudit dkim testkey", [testkey.stdout])
    }

    @Test func query() async throws {
        let answer = try await Self.run(["query", "legacy.example", "TXT", "--zone", Self.zones, "--offline", "--format", "json"])
        let failure = try await Self.run(
            ["query", "legacy.example", "TXT", "--nameserver", "127.0.0.1:1", "--attempts", "1", "--timeout", "0.5", "--format", "json"])
        #expect(failure.status == 2)
        try Self.check("dnsaudit query", [answer.stdout, failure.stdout])
    }

    @Test func presend() async throws {
        let message = "From: a@shop.example\r\nTo: b@example.net\r\nSubject: x\r\nDate: Mon, 01 Dec 2026 10:00:00 +0000\r\n"
            + "Message-ID: <1@shop.example>\r\n\r\nhi\r\n"
        let result = try await Self.run(
            ["presend", "--zone", Self.zones, "--offline", "--no-sign", "--ip", "192.0.2.5", "--mail-from", "a@shop.example",
             "--helo", "mail.shop.example", "--report", "json"], stdin: message)
        try Self.check("dnsaudit presend", [result.stderr])
    }

    @Test func smtpExplain() async throws {
        var outputs: [String] = []
        for reply in [
            "535-5.7.8 Username and Password not accepted. Learn more at https://support.google.com/mail/?p=BadCredentials",
            "550-5.7.26 This mail has been blocked because the sender is unauthenticated.",
            "421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address. gsmtp", "421 try later", "250 ok",
        ] {
            outputs.append(try await Self.run(["smtp", "explain", reply, "--format", "json"]).stdout)
        }
        outputs.append(try await Self.run(["smtp", "explain", "-", "--format", "json"], stdin: "550 " + String(repeating: "x", count: 300_000)).stdout)
        try Self.check("dnsaudit smtp explain", outputs)
    }
}
