import DNSCore
import DNSLDNS
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real recursive resolver (Unbound) on 127.0.0.1 for integration tests, recursing to a
/// ``KnotServer`` that serves a root zone: what a deployed dnsaudit asks, instead of the
/// authoritative server itself.
///
/// Unbound iterates from the root as it would on the internet, with the Knot server as the only
/// root server (a stub zone for `.`), the iterator module only (no DNSSEC validation, so no
/// trust anchor), and permission to query loopback. Nothing leaves 127.0.0.1.
public final class UnboundServer: Sendable {
    public let port: UInt16
    public let pid: pid_t
    public let directory: String

    private init(port: UInt16, pid: pid_t, directory: String) {
        self.port = port
        self.pid = pid
        self.directory = directory
    }

    /// The nameserver address to give a resolver.
    public var nameserver: Nameserver { Nameserver(.v4(IPv4Address(0x7F00_0001)), port: port) }

    /// The `unbound` binary, or `nil` when Unbound is not installed.
    public static var unbound: String? {
        ["/usr/sbin/unbound", "/usr/local/sbin/unbound"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts Unbound recursing to `root` (which must serve `.`), runs `body`, and stops it.
    public static func with<T>(recursingTo root: KnotServer, probe: DomainName, _ body: (UnboundServer) async throws -> T)
        async throws -> T
    {
        let server = try await start(recursingTo: root, probe: probe)
        defer { server.stop() }
        return try await body(server)
    }

    /// Starts Unbound; ready once it resolves `probe` (a name under `root`).
    public static func start(recursingTo root: KnotServer, probe: DomainName) async throws -> UnboundServer {
        guard let unbound else {
            throw KnotServer.StartError(description: "unbound not found: install it (apt-get install -y unbound); scripts/test does")
        }
        var lastError = ""
        for _ in 0..<8 {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("dnsaudit-unbound-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let port = randomServerPort()
            try configuration(directory: directory, port: port, root: root.port)
                .write(toFile: directory + "/unbound.conf", atomically: true, encoding: .utf8)
            let pid = try KnotServer.spawn(unbound, ["unbound", "-d", "-c", directory + "/unbound.conf"], log: directory + "/unbound.log")
            let server = UnboundServer(port: port, pid: pid, directory: directory)
            if try await server.waitUntilReady(probe: probe) { return server }
            lastError = (try? String(contentsOfFile: directory + "/unbound.log", encoding: .utf8)) ?? "no log"
            server.stop()
        }
        throw KnotServer.StartError(description: "unbound did not start: \(lastError)")
    }

    static func configuration(directory: String, port: UInt16, root: UInt16) -> String {
        """
        server:
            interface: 127.0.0.1@\(port)
            port: \(port)
            do-ip6: no
            do-daemonize: no
            use-syslog: no
            logfile: "\(directory)/unbound.log"
            directory: "\(directory)"
            pidfile: "\(directory)/unbound.pid"
            username: ""
            chroot: ""
            num-threads: 1
            so-reuseport: no
            access-control: 127.0.0.0/8 allow
            do-not-query-localhost: no
            module-config: "iterator"
            edns-buffer-size: 1232
            val-log-level: 0
            # Unbound answers these documentation and loopback reverse zones itself (RFC 6303);
            # the test zones publish PTR records in them, so they are asked like any other.
            local-zone: "127.in-addr.arpa." nodefault
            local-zone: "2.0.192.in-addr.arpa." nodefault
            local-zone: "100.51.198.in-addr.arpa." nodefault
            local-zone: "113.0.203.in-addr.arpa." nodefault
            local-zone: "8.b.d.0.1.0.0.2.ip6.arpa." nodefault
            local-zone: "test." nodefault
            local-zone: "invalid." nodefault
        remote-control:
            control-enable: no
        stub-zone:
            name: "."
            stub-addr: 127.0.0.1@\(root)

        """
    }

    private func waitUntilReady(probe: DomainName) async throws -> Bool {
        let resolver = LDNSResolver(
            LDNSResolver.Configuration(nameservers: [nameserver], timeout: .milliseconds(300), attempts: 1, tcpOnly: true))
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            guard kill(pid, 0) == 0 else { return false }
            if let response = try? await resolver.query(probe, .soa), response.outcome == .answer { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Stops Unbound (SIGTERM, then SIGKILL after 2 s), reaps it and removes its directory.
    public func stop() { KnotServer.stop(pid: pid, removing: directory) }
}
