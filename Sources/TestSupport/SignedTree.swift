import DNSCore
import DNSLDNS
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A signed DNS tree made for the DNSSEC tests by `Tests/Fixtures/dnssec/make-signed-tree`
/// (ldns-keygen and ldns-signzone, apt ldnsutils): a fake root, `test.`, `example.test.` and
/// broken variants, with fresh keys, and the root's key as the trust anchor. Made once per test
/// process (the 100-key zone takes the longest), removed when the process exits.
public enum SignedTree {
    /// Why the tree could not be made.
    public struct MakeError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Whether the tools the script needs exist (scripts/install-deps --test installs them);
    /// without them making the tree fails, naming the package, so no test passes silently.
    public static var toolsInstalled: Bool {
        ["/usr/bin/ldns-keygen", "/usr/bin/ldns-signzone", "/usr/bin/ldns-key2ds"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    private static let made = Made()

    /// The directory holding the zone files (`root.zone`, `test.zone`, …) and `anchor.key`.
    public static func directory() async throws -> String { try await made.directory() }

    /// The trust anchor: the fake root's key-signing key.
    public static func anchors() async throws -> DNSSECTrustAnchors {
        try DNSSECTrustAnchors(contentsOf: try await directory() + "/anchor.key")
    }

    /// One making of the tree, however many tests ask at once (an actor alone would let a
    /// second caller in while the first waits for the script).
    private actor Made {
        private var making: Task<String, any Error>?

        func directory() async throws -> String {
            if let making { return try await making.value }
            let task = Task { try await Self.make() }
            making = task
            return try await task.value
        }

        private static func make() async throws -> String {
            guard SignedTree.toolsInstalled, FileManager.default.isExecutableFile(atPath: "/usr/bin/drill") else {
                throw MakeError(description: "ldns-keygen, ldns-signzone, ldns-key2ds or drill missing: apt-get install ldnsutils (scripts/install-deps --test)")
            }
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("dnsaudit-signed-tree-\(getpid())").path
            try? FileManager.default.removeItem(atPath: directory)
            let script = KnotServer.fixtures("dnssec/make-signed-tree")
            // Removed at exit whether the script succeeds or not.
            removeAtExit.withLock { $0 = directory }
            atexit { if let directory = removeAtExit.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: directory) } }
            let output = try await ProcessRunner.run("/bin/sh", [script, directory], timeout: 60)
            guard output.status == 0 else {
                throw MakeError(description: "make-signed-tree failed (\(output.status)): \(output.stderrText)")
            }
            return directory
        }
    }
}

/// The tree's directory, removed when the test process exits (atexit takes no context).
private let removeAtExit = LockedState<String?>(nil)
