import DKIM
import DNSAudit
import DNSCore
import DNSLDNS
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestSupport

/// Test data under `Tests/Fixtures/presend` (and the shared dkimpy driver under `Fixtures/dkim`).
enum Fixtures {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ relative: String) -> String { root.appendingPathComponent("presend/" + relative).path }
    static var zones: String { path("zones") }
    /// A private (mode 0600) copy of a fixture key.
    static func key(_ name: String) throws -> String { try TestFiles.copy(path("keys/" + name)) }
    static func bytes(_ relative: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(relative)))) }

    /// The sample newsletter: From news@sender.test, with a valid RFC 8058 List-Unsubscribe.
    static func newsletter() throws -> [UInt8] { try bytes("messages/newsletter.eml") }

    /// The zone files as an offline resolver (the same data Knot serves in the integration tests).
    static func zoneResolver() throws -> ZoneResolver {
        let files = try FileManager.default.contentsOfDirectory(atPath: zones).filter { $0.hasSuffix(".zone") }.sorted()
        return try ZoneResolver(zoneFiles: files.map { zones + "/" + $0 })
    }

    static func privateKey(_ name: String) throws -> DKIMPrivateKey { try DKIMPrivateKey(contentsOfFile: key(name)) }

    /// The fixed signing time of the tests (2023-11-14 22:13:20 UTC).
    static let time: Int64 = 1_700_000_000
    static var now: Date { Date(timeIntervalSince1970: TimeInterval(time)) }
}

extension Array where Element == UInt8 {
    /// The bytes with the first `old` replaced by `new` (both UTF-8).
    func replacing(_ old: String, with new: String) -> [UInt8] {
        let text = String(decoding: self, as: UTF8.self)
        guard let range = text.range(of: old) else { return self }
        return Array(text.replacingCharacters(in: range, with: new).utf8)
    }
}

/// dkimpy (python3-dkim), run as a subprocess with keys from the loopback Knot server.
enum Dkimpy {
    static let python = "/usr/bin/python3"
    static let driver = Fixtures.root.appendingPathComponent("dkim/interop/dkimpy_driver.py").path

    static let available: Bool = {
        guard KnotServer.knotd != nil, FileManager.default.isExecutableFile(atPath: python) else { return false }
        return ProcessRunner.succeeds(python, ["-c", "import dkim, dns.resolver"])
    }()

    /// dkimpy's verdict for each DKIM-Signature of `message`.
    static func verify(_ message: [UInt8], port: UInt16) async throws -> [Bool] {
        let request: [String: Any] = ["mode": "verify", "port": Int(port), "messages": [Data(message).base64EncodedString()]]
        let result = try await Subprocess.run(python, [driver], input: try JSONSerialization.data(withJSONObject: request))
        guard result.status == 0, let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
              let results = json["results"] as? [[Bool]], let first = results.first
        else { throw Subprocess.Failure(message: "dkimpy driver exited \(result.status): \(result.stderr)") }
        return first
    }
}

/// Runs a program and captures its output.
enum Subprocess {
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static func run(
        _ executable: String, _ arguments: [String], input: Data = Data(), environment: [String: String] = [:],
        currentDirectory: String? = nil
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let output = try await ProcessRunner.run(
            executable, arguments, input: input, environment: env, currentDirectory: currentDirectory)
        return (output.status, output.stdoutText, output.stderrText)
    }
}

extension PreSendReport {
    /// Every check that did not pass, one a line, for a failed expectation's message.
    var unpassed: String {
        checks.filter { $0.status != .pass }.map { "\($0.status) \($0.id): \($0.summary)" }.joined(separator: "\n")
    }
}
