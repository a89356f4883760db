import DNSCore
import DNSLDNS
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real authoritative DNS server (Knot) on 127.0.0.1 for integration tests.
///
/// It serves every `*.zone` file of a directory (the zone's name is the file name without
/// `.zone`; `root.zone` serves the root zone `.`), plus any `brokenZones`, which have no file and
/// so answer SERVFAIL. It listens on a free high port, is ready when it answers an SOA query over
/// TCP, and is stopped by PID.
///
/// ```swift
/// try await KnotServer.with(zoneDirectory: KnotServer.fixtures("dns/zones")) { server in
///     let resolver = server.resolver()
///     ...
/// }
/// ```
public final class KnotServer: Sendable {
    /// Why the server could not be started.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The port it listens on (UDP and TCP) on 127.0.0.1.
    public let port: UInt16
    /// Its process ID.
    public let pid: pid_t
    /// The temporary directory holding its configuration, database and log.
    public let directory: String
    /// The zones it serves.
    public let zones: [DomainName]

    private init(port: UInt16, pid: pid_t, directory: String, zones: [DomainName]) {
        self.port = port
        self.pid = pid
        self.directory = directory
        self.zones = zones
    }

    /// The nameserver address to give a resolver.
    public var nameserver: Nameserver { Nameserver(.v4(IPv4Address(0x7F00_0001)), port: port) }

    /// An `LDNSResolver` asking this server, with a short timeout suited to tests.
    public func resolver(timeout: Duration = .seconds(2), attempts: Int = 1, tcpOnly: Bool = false) -> LDNSResolver {
        LDNSResolver(
            LDNSResolver.Configuration(nameservers: [nameserver], timeout: timeout, attempts: attempts, tcpOnly: tcpOnly))
    }

    /// Absolute path of a directory under `Tests/Fixtures`.
    public static func fixtures(_ relativePath: String, file: StaticString = #filePath) -> String {
        // Sources/TestSupport/KnotServer.swift → repository root.
        let root = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relativePath).path
    }

    /// The `knotd` binary, or `nil` when Knot is not installed.
    public static var knotd: String? {
        ["/usr/sbin/knotd", "/usr/local/sbin/knotd", "/usr/bin/knotd"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Starts a server, runs `body` with it and stops it, even if `body` throws.
    public static func with<T>(
        zoneDirectory: String, brokenZones: [String] = [], _ body: (KnotServer) async throws -> T
    ) async throws -> T {
        let server = try await start(zoneDirectory: zoneDirectory, brokenZones: brokenZones)
        defer { server.stop() }
        return try await body(server)
    }

    /// Starts a server for the zone files in `zoneDirectory`.
    public static func start(zoneDirectory: String, brokenZones: [String] = []) async throws -> KnotServer {
        guard let knotd else {
            throw StartError(description: "knotd not found: install Knot (apt-get install -y knot); scripts/test does")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: zoneDirectory).filter { $0.hasSuffix(".zone") }.sorted()
        let zoneNames = files.map { zoneName(fileName: $0) }
        guard !zoneNames.isEmpty else { throw StartError(description: "no *.zone files in \(zoneDirectory)") }
        var failures: [String] = []
        for _ in 0..<8 {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("dnsaudit-knot-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory + "/db", withIntermediateDirectories: true)
            let port = randomServerPort()
            let config = configuration(
                directory: directory, zoneDirectory: zoneDirectory, port: port, zones: zoneNames + brokenZones)
            try config.write(toFile: directory + "/knot.conf", atomically: true, encoding: .utf8)
            let pid = try spawn(knotd, ["knotd", "-c", directory + "/knot.conf"], log: directory + "/knot.log")
            let server = KnotServer(
                port: port, pid: pid, directory: directory,
                zones: (zoneNames + brokenZones).compactMap { $0 == "." ? DomainName.root : try? DomainName(dnsName: $0) })
            if try await server.waitUntilReady(probe: server.zones[0]) { return server }
            let log = (try? String(contentsOfFile: directory + "/knot.log", encoding: .utf8)) ?? "no log"
            failures.append("port \(port)" + (server.isRunning ? ": no answer within 10 s\n" : ":\n") + log)
            server.stop()
        }
        throw StartError(description: "knotd did not start in \(failures.count) tries:\n" + failures.joined(separator: "\n"))
    }

    /// The file that holds the root zone. Knot's `%s` is empty for the root zone, so the default
    /// `file: "%s.zone"` would look for `.zone`; this name is set for it instead.
    static let rootZoneFile = "root.zone"

    /// The zone a file serves: its name without `.zone`, or `.` for ``rootZoneFile``.
    static func zoneName(fileName: String) -> String {
        fileName == rootZoneFile ? "." : String(fileName.dropLast(5))
    }

    static func configuration(directory: String, zoneDirectory: String, port: UInt16, zones: [String]) -> String {
        var text = """
            server:
                rundir: "\(directory)"
                pidfile: "\(directory)/knot.pid"
                listen: 127.0.0.1@\(port)
                tcp-max-clients: 512
            database:
                storage: "\(directory)/db"
            template:
              - id: default
                storage: "\(zoneDirectory)"
                file: "%s.zone"
                zonefile-sync: -1
                zonefile-load: whole
                journal-content: none
                semantic-checks: off
            log:
              - target: "\(directory)/knot.log"
                any: info
            zone:

            """
        for zone in zones {
            text += "  - domain: \"\(zone)\"\n"
            if zone == "." { text += "    file: \"\(rootZoneFile)\"\n" }
        }
        return text
    }

    /// Polls over TCP until the server answers, it exits, or 10 s pass (a UDP probe sent before
    /// the server binds would wait out its whole timeout).
    private func waitUntilReady(probe: DomainName) async throws -> Bool {
        let resolver = self.resolver(timeout: .milliseconds(300), attempts: 1, tcpOnly: true)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if !isRunning { return false }
            if let response = try? await resolver.query(probe, .soa), response.outcome == .answer { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Whether the process is still alive (a zombie counts as exited).
    public var isRunning: Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
        return state != "Z" && state != "X"
    }

    /// Stops the server (SIGTERM, then SIGKILL after 2 s), reaps it and removes its directory.
    public func stop() { Self.stop(pid: pid, removing: directory) }

    /// Stops a daemon the tests started (SIGTERM, then SIGKILL after 2 s), reaps it and removes
    /// its directory.
    static func stop(pid: pid_t, removing directory: String) {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        let deadline = ContinuousClock.now + .seconds(2)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(2_000)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// posix_spawn with an empty signal mask and default handlers: Foundation.Process would pass
    /// on the test thread's blocked SIGTERM, and the server could then not be stopped.
    static func spawn(_ path: String, _ arguments: [String], log: String) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log + ".stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, log + ".stderr", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, &cArguments, environ)
        guard result == 0 else { throw StartError(description: "posix_spawn \(path): \(String(cString: strerror(result)))") }
        return pid
    }
}
