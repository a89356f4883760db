import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real Postfix on 127.0.0.1 with Dovecot as its SASL server, for SMTP tests: three smtpd
/// listeners on free high ports that play 25 (relay, STARTTLS offered, no AUTH), 587 (submission,
/// STARTTLS required, AUTH only after TLS) and 465 (implicit TLS, AUTH).
///
/// Each instance has its own configuration directory, queue, Dovecot and ports, so several can run
/// at once (issue 16's bounce tests can start their own). It runs as root (postfix drops to the
/// `postfix` user), started with `postfix -c DIR start-fg`; `maillog` is in ``directory``.
///
/// ```swift
/// let server = try await PostfixServer.start(hostName: "smtp.example.test", certificate: ca.certificateFile(.valid),
///                                            key: ca.keyFile(.valid), users: ["alice@example.test": "secret"])
/// defer { server.stop() }
/// ```
public final class PostfixServer: Sendable {
    /// The roles of the listeners.
    public enum Role: Sendable, Hashable, CaseIterable {
        /// Port 25's role: relay, STARTTLS offered, no AUTH.
        case relay
        /// Port 587's: STARTTLS required, AUTH after TLS (RFC 6409).
        case submission
        /// Port 465's: implicit TLS, AUTH (RFC 8314 §3.3).
        case submissions

        /// The standard port this role plays.
        public var standardPort: UInt16 {
            switch self {
            case .relay: 25
            case .submission: 587
            case .submissions: 465
            }
        }
    }

    /// Ports are picked below Linux's ephemeral range (32768–60999): on a machine busy with
    /// other tests' connections a port in that range is often held as a client's source port, and
    /// binding it fails.
    static let portRange: ClosedRange<UInt16> = 20_000...32_000

    public let directory: String
    public let hostName: String
    /// The port of each role on 127.0.0.1.
    public let ports: [Role: UInt16]
    private let postfixPID: pid_t
    private let dovecotPID: pid_t

    private init(directory: String, hostName: String, ports: [Role: UInt16], postfixPID: pid_t, dovecotPID: pid_t) {
        self.directory = directory
        self.hostName = hostName
        self.ports = ports
        self.postfixPID = postfixPID
        self.dovecotPID = dovecotPID
    }

    public func port(_ role: Role) -> UInt16 { ports[role] ?? 0 }

    /// `--connect-to` values mapping `hostName`'s standard ports to this server.
    public var connectToArguments: [String] {
        Role.allCases.flatMap { ["--connect-to", "\(hostName):\($0.standardPort)=127.0.0.1:\(port($0))"] }
    }

    /// Whether Postfix and Dovecot are installed (scripts/install-deps --test installs them).
    public static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/postfix")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/dovecot")
    }

    /// Starts Dovecot and Postfix with the given certificate and SASL users (user → password).
    /// `mainSettings` are appended to main.cf (later lines win: `["mydestination": "example.test"]`),
    /// `masterLines` to master.cf, for tests that need more than the three listeners.
    public static func start(
        hostName: String, certificate: String, key: String, users: [String: String],
        mainSettings: [String: String] = [:], masterLines: [String] = []
    ) async throws -> PostfixServer {
        guard isInstalled else {
            throw KnotServer.StartError(description: "postfix or dovecot not installed: scripts/install-deps --test installs them")
        }
        var lastError = ""
        for _ in 0..<4 {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("dnsaudit-postfix-\(UUID().uuidString.prefix(8))").path
            let postfixDirectory = directory + "/postfix"
            let dovecotDirectory = directory + "/dovecot"
            // The queue must exist; postfix creates its subdirectories and data_directory itself.
            for path in [postfixDirectory, postfixDirectory + "/queue", dovecotDirectory] {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o755])
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
            var ports: [Role: UInt16] = [:]
            for role in Role.allCases {
                var port = UInt16.random(in: Self.portRange)
                while ports.values.contains(port) { port = UInt16.random(in: Self.portRange) }
                ports[role] = port
            }
            try FileManager.default.copyItem(atPath: certificate, toPath: postfixDirectory + "/cert.pem")
            try FileManager.default.copyItem(atPath: key, toPath: postfixDirectory + "/key.pem")
            let passwd = users.sorted { $0.key < $1.key }.map { "\($0.key):{PLAIN}\($0.value)\n" }.joined()
            try passwd.write(toFile: dovecotDirectory + "/users", atomically: true, encoding: .utf8)
            try dovecotConfiguration(dovecotDirectory).write(
                toFile: dovecotDirectory + "/dovecot.conf", atomically: true, encoding: .utf8)
            let main = mainConfiguration(postfixDirectory, hostName: hostName, authSocket: dovecotDirectory + "/auth")
                + mainSettings.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)\n" }.joined()
            try main.write(toFile: postfixDirectory + "/main.cf", atomically: true, encoding: .utf8)
            let master = masterConfiguration(ports) + masterLines.map { $0 + "\n" }.joined()
            try master.write(toFile: postfixDirectory + "/master.cf", atomically: true, encoding: .utf8)

            let dovecotPID = try KnotServer.spawn(
                "/usr/sbin/dovecot", ["dovecot", "-F", "-c", dovecotDirectory + "/dovecot.conf"], log: directory + "/dovecot")
            let postfixPID = try KnotServer.spawn(
                "/usr/sbin/postfix", ["postfix", "-c", postfixDirectory, "start-fg"], log: directory + "/postfix")
            let server = PostfixServer(
                directory: directory, hostName: hostName, ports: ports, postfixPID: postfixPID, dovecotPID: dovecotPID)
            if try await server.waitUntilReady() { return server }
            func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
            lastError = "postfix \(SMTPSimulator.isAlive(postfixPID) ? "running" : "exited"), dovecot "
                + "\(SMTPSimulator.isAlive(dovecotPID) ? "running" : "exited"); maillog: "
                + read(postfixDirectory + "/maillog").split(separator: "\n").filter { !$0.contains("warning:") }.suffix(8).joined(separator: "\n")
                + "; dovecot: " + read(directory + "/dovecot.stderr") + read(dovecotDirectory + "/dovecot.log").suffix(1000)
            server.stop()
        }
        throw KnotServer.StartError(description: "postfix did not start: \(lastError.suffix(3000))")
    }

    /// Ready when every listener greets and Dovecot's auth socket exists.
    private func waitUntilReady() async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if !SMTPSimulator.isAlive(postfixPID) || !SMTPSimulator.isAlive(dovecotPID) { return false }
            if FileManager.default.fileExists(atPath: directory + "/dovecot/auth"),
                Role.allCases.allSatisfy({ Self.accepts(port: port($0)) })
            {
                return true
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Whether a TCP connection to 127.0.0.1:`port` is accepted (non-blocking connect, 200 ms).
    static func accepts(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result == 0 { return true }
        guard errno == EINPROGRESS else { return false }
        var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&descriptor, 1, 200) == 1 else { return false }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
        return failure == 0
    }

    /// Postfix's log.
    public var maillog: String {
        (try? String(contentsOfFile: directory + "/postfix/maillog", encoding: .utf8)) ?? ""
    }

    /// Stops Postfix (its master, then the start-fg script) and Dovecot, and removes the directory.
    public func stop() {
        if let text = try? String(contentsOfFile: directory + "/postfix/queue/pid/master.pid", encoding: .utf8),
            let master = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), master > 1
        {
            kill(master, SIGTERM)
        }
        KnotServer.stop(pid: postfixPID, removing: directory + "/postfix")
        KnotServer.stop(pid: dovecotPID, removing: directory)
    }

    static func dovecotConfiguration(_ directory: String) -> String {
        """
        base_dir = \(directory)/run
        state_dir = \(directory)/state
        log_path = \(directory)/dovecot.log
        protocols =
        ssl = no
        disable_plaintext_auth = no
        auth_mechanisms = plain login
        passdb {
          driver = passwd-file
          args = scheme=PLAIN username_format=%u \(directory)/users
        }
        userdb {
          driver = static
          args = uid=nobody gid=nogroup home=/nonexistent
        }
        service auth {
          unix_listener \(directory)/auth {
            mode = 0666
          }
        }

        """
    }

    static func mainConfiguration(_ directory: String, hostName: String, authSocket: String) -> String {
        """
        compatibility_level = 3.6
        queue_directory = \(directory)/queue
        data_directory = \(directory)/data
        mail_owner = postfix
        inet_interfaces = 127.0.0.1
        inet_protocols = ipv4
        myhostname = \(hostName)
        mydestination =
        alias_maps =
        alias_database =
        maillog_file = \(directory)/maillog
        maillog_file_prefixes = \(directory)
        smtputf8_enable = yes
        smtpd_tls_cert_file = \(directory)/cert.pem
        smtpd_tls_key_file = \(directory)/key.pem
        smtpd_tls_security_level = may
        smtpd_tls_auth_only = yes
        smtpd_sasl_type = dovecot
        smtpd_sasl_path = \(authSocket)
        smtpd_sasl_auth_enable = no

        """
    }

    static func masterConfiguration(_ ports: [Role: UInt16]) -> String {
        let port = { (role: Role) in ports[role] ?? 0 }
        return """
            127.0.0.1:\(port(.relay)) inet n - n - - smtpd
            127.0.0.1:\(port(.submission)) inet n - n - - smtpd -o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes
            127.0.0.1:\(port(.submissions)) inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_sasl_auth_enable=yes
            pickup    unix  n       -       n       60      1       pickup
            cleanup   unix  n       -       n       -       0       cleanup
            qmgr      unix  n       -       n       300     1       qmgr
            tlsmgr    unix  -       -       n       1000?   1       tlsmgr
            rewrite   unix  -       -       n       -       -       trivial-rewrite
            bounce    unix  -       -       n       -       0       bounce
            defer     unix  -       -       n       -       0       bounce
            trace     unix  -       -       n       -       0       bounce
            verify    unix  -       -       n       -       1       verify
            flush     unix  n       -       n       1000?   0       flush
            proxymap  unix  -       -       n       -       -       proxymap
            anvil     unix  -       -       n       -       1       anvil
            scache    unix  -       -       n       -       1       scache
            postlog   unix-dgram n  -       n       -       1       postlogd

            """
    }
}
