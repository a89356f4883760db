import Foundation
import TestSupport
import Testing

/// `dnsaudit query` with the conventions of dig and drill (issue 14): every RR type ldns knows,
/// `-x IP`, the AA flag, `+short`, `@SERVER` and a nameserver given by host name, the joined TXT
/// text in JSON. Each runs the built binary against Knot on loopback; the record data is compared
/// with what drill (ldnsutils) prints for the same question.
@Suite struct QueryLikeDrillTests {
    static let zones = KnotServer.fixtures("query/zones")
    static let drill = ["/usr/bin/drill", "/usr/local/bin/drill"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// drill's answer section: the data column of each record of `type`.
    static func drillData(_ name: String, _ type: String, port: UInt16) async throws -> [String] {
        let drill = try #require(Self.drill, "drill (ldnsutils) is needed: scripts/install-deps --test installs it")
        let output = try await ProcessRunner.run(drill, ["-p", "\(port)", "@127.0.0.1", name, type])
        var data: [String] = []
        var inAnswer = false
        for line in output.stdoutText.split(separator: "\n") {
            if line.hasPrefix(";; ANSWER SECTION") { inAnswer = true; continue }
            if line.hasPrefix(";;") { inAnswer = false; continue }
            guard inAnswer else { continue }
            let columns = line.split(separator: "\t", maxSplits: 4)
            // drill follows a DNSKEY with a comment (";{id = 2371 (ksk), size = 256b}"): not data.
            let value = columns.count == 5 ? columns[4].split(separator: " ;{", maxSplits: 1).first.map(String.init) : nil
            if columns.count == 5, columns[3] == type, let value { data.append(value) }
        }
        return data
    }

    @Test(arguments: [
        ("rr.test", "CAA"), ("_25._tcp.mail.rr.test", "TLSA"), ("_submission._tcp.rr.test", "SRV"), ("sub.rr.test", "DS"),
        ("rr.test", "DNSKEY"), ("rr.test", "RRSIG"), ("rr.test", "NSEC"), ("rr.test", "SSHFP"), ("www.rr.test", "HTTPS"),
        ("rr.test", "MX"), ("rr.test", "TXT"), ("rr.test", "SOA"),
    ])
    func showsEveryTypeAsDrillDoes(name: String, type: String) async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            let result = try await CLIRunner.run(["query", name, type, "--nameserver", "127.0.0.1:\(server.port)", "+short"])
            #expect(result.status == 0, "\(result.stderr)")
            let ours = result.stdout.split(separator: "\n").map(String.init).sorted()
            #expect(!ours.isEmpty)
            #expect(!ours.contains { $0.hasPrefix("\\#") }, "a known type is not shown as unknown data: \(ours)")
            let theirs = try await Self.drillData(name, type, port: server.port).sorted()
            #expect(ours == theirs, "\(type): ours \(ours), drill \(theirs)")
        }
    }

    @Test func showsTheAAFlagAndDrillsLayout() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            let result = try await CLIRunner.run(["query", "rr.test", "CAA", "--nameserver", "127.0.0.1:\(server.port)"])
            #expect(result.status == 0)
            #expect(result.stdout.hasPrefix(";; rr.test. CAA: 2 records"), "\(result.stdout)")
            #expect(result.stdout.contains("flags [aa]"), "\(result.stdout)")
            #expect(result.stdout.contains("rr.test.\t300\tIN\tCAA\t0 issue \"ca.example.net\""), "\(result.stdout)")
            let json = try await CLIRunner.run(["query", "rr.test", "CAA", "--nameserver", "127.0.0.1:\(server.port)", "--format", "json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(object["authoritativeAnswer"] as? Bool == true)
            #expect(object["schemaVersion"] as? Int == 1)
            #expect(object["type"] as? String == "CAA")
        }
    }

    @Test func reverseLookupAsksThePTROfTheAddress() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            let result = try await CLIRunner.run(["query", "-x", "192.0.2.25", "--nameserver", "127.0.0.1:\(server.port)", "+short"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == "mail.rr.test.\n")
            let long = try await CLIRunner.run(["query", "-x", "192.0.2.25", "--nameserver", "127.0.0.1:\(server.port)"])
            #expect(long.stdout.contains("25.2.0.192.in-addr.arpa. PTR"), "\(long.stdout)")
            let bad = try await CLIRunner.run(["query", "-x", "192.0.2", "--nameserver", "127.0.0.1:\(server.port)"])
            #expect(bad.status == 64 && bad.stderr.contains("-x \"192.0.2\" is not an IPv4 or IPv6 address"), "\(bad.stderr)")
        }
    }

    @Test func takesTheNameserverByHostNameOrAtSign() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            // localhost comes from /etc/hosts: nothing leaves loopback.
            let byName = try await CLIRunner.run(["query", "mail.rr.test", "--nameserver", "localhost:\(server.port)", "+short"])
            #expect(byName.status == 0, "\(byName.stderr)")
            #expect(byName.stdout.contains("192.0.2.25"))
            let atSign = try await CLIRunner.run(["query", "@127.0.0.1:\(server.port)", "mail.rr.test", "A", "+short"])
            #expect(atSign.stdout == "192.0.2.25\n", "\(atSign.stdout) \(atSign.stderr)")
            let unknown = try await CLIRunner.run(["query", "mail.rr.test", "--nameserver", "no-such-host.invalid"])
            #expect(unknown.status == 64, "\(unknown.stderr)")
        }
    }

    @Test func jsonHasTheJoinedTXTTextBesideTheStrings() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            let result = try await CLIRunner.run(["query", "rr.test", "TXT", "--nameserver", "127.0.0.1:\(server.port)", "--format", "json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let record = try #require((object["records"] as? [[String: Any]])?.first)
            #expect(record["strings"] as? [String] == ["v=spf1 ip4:192.0.2.0/24 ", "include:_spf.rr.test -all"])
            #expect(record["text"] as? String == "v=spf1 ip4:192.0.2.0/24 include:_spf.rr.test -all")
        }
    }

    @Test(arguments: [(["query", "rr.test", "CAAX"], "unknown record type"), (["query", "rr.test", "A", "+long"], "unknown query option")])
    func rejectsWhatItDoesNotKnow(arguments: [String], message: String) async throws {
        let result = try await CLIRunner.run(arguments + ["--nameserver", "127.0.0.1:1"])
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
