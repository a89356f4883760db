import DKIM
import DNSAudit
import DNSCore
import DNSLDNS
import Foundation
import TestSupport
import Testing

/// The runnable examples of docs/presend.md, run offline against `Examples/presend/zones`.
@Suite struct ExampleTests {
    static let examples = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/presend").path
    static let python = "/usr/bin/python3"
    static var environment: [String: String] { ["DNSAUDIT": CLIRunner.executable] }

    static func exampleResolver() throws -> ZoneResolver {
        try ZoneResolver(zoneFiles: ["shop.example.zone", "2.0.192.in-addr.arpa.zone"].map { examples + "/zones/" + $0 })
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: python), "python3 is not installed"))
    func thePythonScriptSignsAndWouldSend() async throws {
        let run = try await Subprocess.run(
            Self.python, [Self.examples + "/send_newsletter.py", "--zone", Self.examples + "/zones", "--dry-run"],
            environment: Self.environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=shop.example; s=mail;"))
        // What it would send verifies with the key in the example zone.
        let results = await DKIMVerifier(resolver: try Self.exampleResolver()).verify(
            try MailMessage(parsing: Array(run.stdout.utf8)), now: Date())
        #expect(results.map(\.status) == [.pass])
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: python), "python3 is not installed"))
    func thePythonScriptRefusesAGmailFromAndSendsNothing() async throws {
        let run = try await Subprocess.run(
            Self.python,
            [Self.examples + "/send_newsletter.py", "--zone", Self.examples + "/zones", "--dry-run", "--from", "me@gmail.com"],
            environment: Self.environment)
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("FAIL presend.from.free-mail"))
        #expect(run.stderr.contains("not sent"))
    }

    @Test func theShellPipelineExampleRunsOffline() async throws {
        let run = try await Subprocess.run("/bin/sh", [Self.examples + "/pipeline.sh"], environment: Self.environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("DKIM-Signature: "))
        #expect(run.stdout.hasSuffix("Order 1042 left our warehouse today.\r\n\r\n-- \r\nShop\r\n"))
    }

    /// Examples/presend/SwiftAPI is a package of its own, which no test builds: its source is
    /// type-checked here against the modules of this build, warnings as errors, so an API change
    /// that breaks the example fails this test.
    @Test func theSwiftAPIExamplePackageCompilesAgainstThisBuild() async throws {
        let root = URL(fileURLWithPath: Self.examples).deletingLastPathComponent().deletingLastPathComponent().path
        let modules = CLIRunner.productsDirectory.appendingPathComponent("Modules").path
        try #require(FileManager.default.fileExists(atPath: modules + "/DNSAudit.swiftmodule"), "no modules at \(modules)")
        // The package's tools version (6.1) compiles in the Swift 6 language mode.
        let run = try await Subprocess.run("/usr/bin/env", [
            "swiftc", "-typecheck", "-swift-version", "6", "-warnings-as-errors", "-I", modules,
            "-module-cache-path", CLIRunner.productsDirectory.appendingPathComponent("ExampleModuleCache").path,
            "-Xcc", "-fmodule-map-file=\(root)/Sources/CLDNS/module.modulemap",
            "-Xcc", "-fmodule-map-file=\(root)/Sources/CLibCrypto/module.modulemap",
            // DNSAudit reaches TLS (the MTA-STS fetch, the MX probe), which wraps libssl.
            "-Xcc", "-fmodule-map-file=\(root)/Sources/CLibSSL/module.modulemap",
            // CLinuxIO's module map is the one SwiftPM generates for a C target's include/ folder.
            "-Xcc", "-fmodule-map-file=\(CLIRunner.productsDirectory.path)/CLinuxIO.build/module.modulemap",
            Self.examples + "/SwiftAPI/Sources/presend-example/main.swift",
        ])
        #expect(run.status == 0, "swiftc (the one on PATH, which must be the toolchain that built the tests): \(run.stderr)")
    }

    /// The Swift snippet of docs/presend.md (and Examples/presend/SwiftAPI), with the example zone.
    @Test func theSwiftAPIExample() async throws {
        let resolver = try Self.exampleResolver()
        let messageBytes = try Data(contentsOf: URL(fileURLWithPath: Self.examples + "/message.eml"))
        let request = PreSendRequest(
            message: Array(messageBytes), mailFrom: "bounces@shop.example",
            egressIPs: [IPAddress("192.0.2.25")!], helo: "mail.shop.example",
            signing: [DKIMSigningConfiguration(domain: "shop.example", selector: "mail",
                                               key: try DKIMPrivateKey(contentsOfFile: Self.examples + "/keys/mail.key"))],
            now: Date())
        let report = try await PreSendValidator(resolver: resolver, timeout: .seconds(20)).validate(request)
        #expect(report.verdict == .pass, "\(report.unpassed)")
        #expect(report.message != nil)
        #expect(report.failures.map(\.id).isEmpty)
    }
}
