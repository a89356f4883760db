import Foundation

/// A certificate authority created for one test run (Tests/Fixtures/smtp/make-test-ca.sh, the
/// openssl CLI): a CA and, for one host name, a valid, an expired (2021) and a wrong-name
/// (other.invalid) server certificate. Trusted only where a test passes ``caFile``.
public struct TestCA: Sendable {
    /// The directory holding the files.
    public let directory: String
    /// The host name the valid and expired certificates are issued for.
    public let hostName: String

    /// The server certificates it issues.
    public enum Certificate: String, Sendable, CaseIterable {
        case valid, expired, wrongName = "wrongname"
    }

    /// The CA certificate (PEM), for `--ca-file` or `SSL_CERT_FILE`.
    public var caFile: String { directory + "/ca.pem" }
    public func certificateFile(_ certificate: Certificate) -> String { directory + "/\(certificate.rawValue).pem" }
    public func keyFile(_ certificate: Certificate) -> String { directory + "/\(certificate.rawValue).key" }

    /// Creates the CA and its certificates for `hostName` in a new temporary directory.
    public static func create(hostName: String) async throws -> TestCA {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("dnsaudit-ca-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let output = try await ProcessRunner.run(
            "/bin/bash", [KnotServer.fixtures("smtp/make-test-ca.sh"), directory, hostName], timeout: 60)
        guard output.status == 0 else {
            throw KnotServer.StartError(description: "make-test-ca.sh failed: \(output.stderrText)")
        }
        return TestCA(directory: directory, hostName: hostName)
    }

    /// Removes the files.
    public func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
