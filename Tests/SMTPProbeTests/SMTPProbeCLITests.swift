import Foundation
import TestSupport
import Testing

/// `dnsaudit smtp probe` end to end: the binary against the simulator, Postfix and Knot, its exit
/// statuses, usage errors, and that a password appears in no output.
@Suite(.serialized) struct SMTPProbeCLITests {
    static let host = "smtp.gmail.test"

    @Test func thePasswordAppearsInNoOutput() async throws {
        let secret = "Sup3r-Secret-pw!"
        let base64Forms = [
            Data(secret.utf8).base64EncodedString(),
            Data("\u{0}me@gmail.test\u{0}\(secret)".utf8).base64EncodedString(),
        ]
        let ca = try await TestCA.create(hostName: Self.host)
        defer { ca.remove() }
        let simulator = try await SMTPSimulator.start([.gmail, .microsoft], certificate: ca.certificateFile(.valid), key: ca.keyFile(.valid))
        defer { simulator.stop() }
        let postfix = try await PostfixServer.start(
            hostName: Self.host, certificate: ca.certificateFile(.valid), key: ca.keyFile(.valid),
            users: ["me@gmail.test": secret])
        defer { postfix.stop() }

        let targets: [(String, [String])] = [
            ("gmail", ["--connect-to", "\(Self.host):587=127.0.0.1:\(simulator.port(.gmail))"]),
            ("microsoft (LOGIN)", ["--connect-to", "\(Self.host):587=127.0.0.1:\(simulator.port(.microsoft))"]),
            ("postfix", ["--connect-to", "\(Self.host):587=127.0.0.1:\(postfix.port(.submission))"]),
        ]
        for (name, connect) in targets {
            for format in ["text", "json"] {
                for viaEnvironment in [false, true] {
                    let common = ["smtp", "probe", Self.host, "--port", "587", "--ca-file", ca.caFile, "--step-timeout", "3",
                                  "--format", format, "--user", "me@gmail.test", "--nameserver", "127.0.0.1:9"] + connect
                    let result = viaEnvironment
                        ? try await CLIRunner.run(common + ["--password-env", "PROBE_PW"], environment: ["PROBE_PW": secret])
                        : try await CLIRunner.run(common + ["--password-stdin"], stdin: Array((secret + "\n").utf8))
                    let everything = result.stdout + result.stderr
                    #expect(everything.contains("AUTH"), "\(name): the AUTH test ran")
                    #expect(!everything.contains(secret), "\(name) \(format): the password leaked")
                    for form in base64Forms {
                        #expect(!everything.contains(form), "\(name) \(format): a base64 form of the password leaked")
                    }
                    if name == "postfix" { #expect(result.status == 0, "\(result.stdout)") }
                    if name == "gmail" { #expect(result.status == 1 && everything.contains("gmail.app-password-required")) }
                }
            }
        }
        #expect(!simulator.log.contains(secret))
    }

    @Test func theJSONReportHasItsSchemaVersionAndThePortFacts() async throws {
        let ca = try await TestCA.create(hostName: Self.host)
        defer { ca.remove() }
        let simulator = try await SMTPSimulator.start([.gmail], certificate: ca.certificateFile(.valid), key: ca.keyFile(.valid))
        defer { simulator.stop() }
        let result = try await CLIRunner.run([
            "smtp", "probe", Self.host, "--port", "587", "--ca-file", ca.caFile, "--format", "json",
            "--connect-to", "\(Self.host):587=127.0.0.1:\(simulator.port(.gmail))", "--nameserver", "127.0.0.1:9",
            "--user", "me@gmail.test", "--password-env", "PW",
        ], environment: ["PW": "x"])
        #expect(result.status == 1, "the AUTH test fails with 534: \(result.stderr)")
        // Every key printed is documented in docs/report-format.md.
        let documentation = try String(contentsOfFile: KnotServer.fixtures("../../docs/report-format.md"), encoding: .utf8)
        var keys = Set<String>()
        func collect(_ value: Any) {
            if let object = value as? [String: Any] {
                for (key, inner) in object { keys.insert(key); collect(inner) }
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        collect(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)))
        #expect(keys.contains("explanation") && keys.contains("auth"))
        let undocumented = keys.filter { !documentation.contains("`\($0)`") }
        #expect(undocumented.isEmpty, "keys missing from docs/report-format.md: \(undocumented.sorted())")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["schemaVersion"] as? Int == 1)
        let hosts = try #require(json["hosts"] as? [[String: Any]])
        let port = try #require((hosts.first?["ports"] as? [[String: Any]])?.first)
        #expect(port["speaks"] as? String == "starttls")
        #expect((port["tls"] as? [String: Any])?["version"] as? String != nil)
        #expect(((port["ehloAfterTLS"] as? [String: Any])?["authMechanisms"] as? [String])?.contains("XOAUTH2") == true)
        #expect(((port["tls"] as? [String: Any])?["chain"] as? [[String: Any]])?.first?["notAfter"] is String)
    }

    @Test func theSystemTrustStoreIsOpenSSLsSoSSLCertFileWorksAndTheTextShowsEHLOSideBySide() async throws {
        let ca = try await TestCA.create(hostName: Self.host)
        defer { ca.remove() }
        let simulator = try await SMTPSimulator.start([.gmail], certificate: ca.certificateFile(.valid), key: ca.keyFile(.valid))
        defer { simulator.stop() }
        let arguments = ["smtp", "probe", Self.host, "--port", "587", "--nameserver", "127.0.0.1:9",
                         "--connect-to", "\(Self.host):587=127.0.0.1:\(simulator.port(.gmail))"]
        // Without the CA: untrusted. With it as SSL_CERT_FILE (no --ca-file): verified.
        let untrusted = try await CLIRunner.run(arguments, environment: ["SSL_CERT_FILE": "/nonexistent.pem", "SSL_CERT_DIR": "/nonexistent"])
        #expect(untrusted.status == 1)
        #expect(untrusted.stdout.contains("smtp.certificate-untrusted"))
        let trusted = try await CLIRunner.run(arguments, environment: ["SSL_CERT_FILE": ca.caFile])
        #expect(trusted.status == 0, "\(trusted.stdout)")
        #expect(trusted.stdout.contains("verified for \(Self.host)"))
        // EHLO before and after TLS, side by side.
        let lines = trusted.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.contains { $0.hasPrefix("EHLO") && $0.contains("before TLS") && $0.contains("after TLS") })
        let auth = try #require(lines.first { $0.hasPrefix("EHLO AUTH") })
        #expect(auth.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).first == "none")
        #expect(auth.contains("LOGIN PLAIN XOAUTH2"))
        #expect(lines.contains { $0.hasPrefix("EHLO SIZE") && $0.hasSuffix("35882577") })
        #expect(trusted.stdout.contains("No message was sent."))
    }

    @Test func namesResolveThroughDnsauditsResolver() async throws {
        let ca = try await TestCA.create(hostName: "smtp.mailprobe.test")
        defer { ca.remove() }
        let simulator = try await SMTPSimulator.start([.gmail], certificate: ca.certificateFile(.valid), key: ca.keyFile(.valid))
        defer { simulator.stop() }
        try await KnotServer.with(zoneDirectory: KnotServer.fixtures("smtp/zones")) { knot in
            let nameserver = ["--nameserver", "127.0.0.1:\(knot.port)"]
            // A name that does not exist.
            let missing = try await CLIRunner.run(["smtp", "probe", "nosuch.mailprobe.test", "--port", "587", "--format", "json"] + nameserver)
            #expect(missing.status == 1)
            #expect(missing.stdout.contains("smtp.host-not-found"))

            // --mx: both exchangers, in preference order, reached through --connect-to.
            let port = simulator.port(.gmail)
            let mx = try await CLIRunner.run(
                ["smtp", "probe", "--mx", "mailprobe.test", "--ca-file", ca.caFile, "--format", "json",
                 "--connect-to", "smtp.mailprobe.test:25=127.0.0.1:\(port)",
                 "--connect-to", "backup.mailprobe.test:25=127.0.0.1:\(port)"] + nameserver)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(mx.stdout.utf8)) as? [String: Any], "\(mx.stderr)")
            let hosts = try #require(json["hosts"] as? [[String: Any]])
            #expect(hosts.map { $0["host"] as? String } == ["smtp.mailprobe.test", "backup.mailprobe.test"])
            #expect(hosts.map { $0["mxPreference"] as? Int } == [10, 20])
            #expect(json["mxDomain"] as? String == "mailprobe.test")

            let none = try await CLIRunner.run(["smtp", "probe", "--mx", "nomx.mailprobe.test", "--format", "json"] + nameserver)
            #expect(none.status == 1 && none.stdout.contains("smtp.mx-none"))
        }
    }

    @Test func badServersGetAClearFindingAndExitOne() async throws {
        let ca = try await TestCA.create(hostName: Self.host)
        defer { ca.remove() }
        let simulator = try await SMTPSimulator.start(
            [.garbage, .longLine, .gmailImplicit, .gmail], certificate: ca.certificateFile(.valid), key: ca.keyFile(.valid))
        let closed = try await SMTPSimulator.start([.gmail], certificate: ca.certificateFile(.valid), key: ca.keyFile(.valid))
        let closedPort = closed.port(.gmail)
        closed.stop()
        defer { simulator.stop() }
        let cases: [(UInt16, String, String)] = [
            (closedPort, "smtp.connect-refused", "refuses connections"),
            (simulator.port(.garbage), "smtp.not-smtp", "does not speak SMTP"),
            (simulator.port(.longLine), "smtp.reply-too-long", "endless reply"),
            (simulator.port(.gmailImplicit), "smtp.plaintext-to-implicit-tls-port", "expects implicit TLS"),
        ]
        for (port, id, words) in cases {
            let result = try await CLIRunner.run([
                "smtp", "probe", Self.host, "--port", "587", "--expect", "starttls", "--step-timeout", "1",
                "--ca-file", ca.caFile, "--nameserver", "127.0.0.1:9",
                "--connect-to", "\(Self.host):587=127.0.0.1:\(port)",
            ], timeout: 30)
            #expect(result.status == 1, "\(id): \(result.stdout)")
            #expect(result.stdout.contains("[\(id)]") && result.stdout.contains(words), "\(result.stdout)")
            #expect(result.stderr.isEmpty)
        }
        // SMTP_SSL to a STARTTLS port, as the user's setting.
        let wrong = try await CLIRunner.run([
            "smtp", "probe", Self.host, "--port", "587", "--expect", "implicit", "--ca-file", ca.caFile,
            "--nameserver", "127.0.0.1:9", "--connect-to", "\(Self.host):587=127.0.0.1:\(simulator.port(.gmail))",
        ])
        #expect(wrong.status == 1)
        #expect(wrong.stdout.contains("Implicit TLS to port 587, which expects STARTTLS"))
        #expect(wrong.stdout.contains("WRONG_VERSION_NUMBER"))
    }

    @Test(arguments: [
        ["smtp", "probe"],
        ["smtp", "probe", "h.test", "--user", "a@b.test"],
        ["smtp", "probe", "h.test", "--password-stdin"],
        ["smtp", "probe", "h.test", "--port", "smtp"],
        ["smtp", "probe", "h.test", "--connect-to", "h.test=127.0.0.1"],
        ["smtp", "probe", "h.test", "--expect", "ssl"],
        ["smtp", "probe", "h.test", "--ca-file", "/nonexistent/ca.pem"],
        ["smtp", "probe", "h.test", "--mx", "d.test"],
    ])
    func badUsageIsAUsageError(arguments: [String]) async throws {
        let result = try await CLIRunner.run(arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)")
        #expect(!result.stderr.isEmpty)
    }
}
