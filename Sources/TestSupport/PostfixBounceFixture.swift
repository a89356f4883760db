import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real Postfix on 127.0.0.1 that makes bounces (issue 16's "bounces made by a real MTA"), and
/// the scripted SMTP server it delivers to (Tests/Fixtures/tools/scripted-smtp.py).
///
/// Postfix runs from a configuration of its own in a temporary directory (its own queue, no
/// port 25, no DNS: `relayhost = [127.0.0.1]:PORT`), with `maximal_queue_lifetime = 0` so a
/// deferral is returned at once, as an expired message. A message for `…@local.sender.test` is
/// delivered by local(8), which has no such user; every other recipient goes to the scripted
/// server, which refuses `dmarc-fail…` with 550 5.7.26 and `rate-limited…` with 421 4.7.28 and
/// stores what it accepts: the bounces Postfix sends back to the sender.
///
/// Needs root (Postfix's queue is owned by the `postfix` user) and the `postfix` package;
/// `scripts/install-deps --test` installs it. (Issue 15's PostfixServer is a different fixture.)
public final class PostfixBounceFixture: Sendable {
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Postfix's smtpd, where tests submit messages.
    public let submissionPort: UInt16
    /// The scripted server's port.
    public let scriptedPort: UInt16
    public let directory: String
    let scriptedPID: pid_t

    /// Where the scripted server stores what it accepts.
    public var outbox: String { directory + "/out" }

    static let postfix = "/usr/sbin/postfix"

    /// Whether Postfix is installed and the tests run as root.
    public static var available: Bool {
        FileManager.default.isExecutableFile(atPath: postfix) && getuid() == 0 && getpwnam("postfix") != nil
    }

    private init(submissionPort: UInt16, scriptedPort: UInt16, directory: String, scriptedPID: pid_t) {
        self.submissionPort = submissionPort
        self.scriptedPort = scriptedPort
        self.directory = directory
        self.scriptedPID = scriptedPID
    }

    /// Starts both, runs `body`, stops both, even if `body` throws.
    public static func with<T>(_ body: (PostfixBounceFixture) async throws -> T) async throws -> T {
        let fixture = try await start()
        defer { fixture.stop() }
        return try await body(fixture)
    }

    public static func start() async throws -> PostfixBounceFixture {
        guard available else { throw StartError(description: "postfix is not installed or the tests do not run as root (scripts/install-deps --test)") }
        guard let user = getpwnam("postfix") else { throw StartError(description: "no postfix user") }
        let (uid, gid) = (user.pointee.pw_uid, user.pointee.pw_gid)
        var lastError = ""
        for _ in 0..<5 {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("dnsaudit-postfix-\(UUID().uuidString.prefix(8))").path
            for sub in ["conf", "queue", "data", "out"] {
                try FileManager.default.createDirectory(atPath: "\(directory)/\(sub)", withIntermediateDirectories: true)
            }
            chmod(directory, 0o755)
            chown(directory + "/data", uid, gid)
            let submission = randomServerPort()
            let scripted = randomServerPort()
            guard submission != scripted else { continue }
            try mainCF(directory: directory, relayPort: scripted).write(toFile: directory + "/conf/main.cf", atomically: true, encoding: .utf8)
            try masterCF(port: submission).write(toFile: directory + "/conf/master.cf", atomically: true, encoding: .utf8)
            let script = KnotServer.fixtures("tools/scripted-smtp.py")
            let scriptedPID = try KnotServer.spawn(
                "/usr/bin/python3", ["python3", script, String(scripted), directory + "/out"], log: directory + "/scripted")
            let fixture = PostfixBounceFixture(
                submissionPort: submission, scriptedPort: scripted, directory: directory, scriptedPID: scriptedPID)
            // `postfix start` checks the configuration, makes the queue and starts master(8), detached.
            let starter = try KnotServer.spawn(postfix, ["postfix", "-c", directory + "/conf", "start"], log: directory + "/start")
            var status: Int32 = 0
            waitpid(starter, &status, 0)
            if status == 0, await fixture.waitUntilListening() { return fixture }
            lastError = ["/start.stdout", "/start.stderr", "/postfix.log", "/scripted.stderr"]
                .compactMap { try? String(contentsOfFile: directory + $0, encoding: .utf8) }.joined(separator: "\n")
            fixture.stop()
        }
        throw StartError(description: "postfix did not start: \(lastError)")
    }

    static func mainCF(directory: String, relayPort: UInt16) -> String {
        """
        compatibility_level = 3.6
        queue_directory = \(directory)/queue
        data_directory = \(directory)/data
        mail_owner = postfix
        myhostname = mta.sender.test
        mydomain = sender.test
        myorigin = sender.test
        mydestination = local.sender.test
        local_recipient_maps =
        alias_maps =
        alias_database =
        mynetworks = 127.0.0.0/8
        inet_interfaces = 127.0.0.1
        inet_protocols = ipv4
        relayhost = [127.0.0.1]:\(relayPort)
        smtp_host_lookup = native
        disable_dns_lookups = yes
        maximal_queue_lifetime = 0
        bounce_queue_lifetime = 0
        smtp_tls_security_level = none
        smtpd_tls_security_level = none
        maillog_file_prefixes = \(directory)
        maillog_file = \(directory)/postfix.log
        biff = no

        """
    }

    /// The services bounces need, none chrooted, and smtpd on a loopback port instead of 25.
    static func masterCF(port: UInt16) -> String {
        """
        127.0.0.1:\(port) inet n - n - - smtpd
        pickup    unix  n - n 60 1 pickup
        cleanup   unix  n - n - 0 cleanup
        qmgr      unix  n - n 300 1 qmgr
        rewrite   unix  - - n - - trivial-rewrite
        bounce    unix  - - n - 0 bounce
        defer     unix  - - n - 0 bounce
        trace     unix  - - n - 0 bounce
        verify    unix  - - n - 1 verify
        flush     unix  n - n 1000? 0 flush
        proxymap  unix  - - n - - proxymap
        smtp      unix  - - n - - smtp
        relay     unix  - - n - - smtp
        showq     unix  n - n - - showq
        error     unix  - - n - - error
        retry     unix  - - n - - error
        discard   unix  - - n - - discard
        local     unix  - n n - - local
        anvil     unix  - - n - 1 anvil
        scache    unix  - - n - 1 scache
        postlog   unix-dgram n - n - 1 postlogd

        """
    }

    /// Polls both ports until they accept a connection, or 10 s pass.
    private func waitUntilListening() async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if Self.accepts(submissionPort), Self.accepts(scriptedPort) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    static func accepts(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Submits a message to Postfix over SMTP (Python's smtplib), one transaction per recipient.
    public func submit(_ message: String, from sender: String, to recipients: [String]) async throws {
        let script = """
            import smtplib, sys
            s = smtplib.SMTP("127.0.0.1", \(submissionPort), timeout=10)
            message = sys.stdin.read()
            for rcpt in sys.argv[2:]:
                s.sendmail(sys.argv[1], [rcpt], message)
            s.quit()
            """
        let output = try await ProcessRunner.run(
            "/usr/bin/python3", ["-c", script, sender] + recipients, input: Data(message.utf8), timeout: 30)
        guard output.status == 0 else { throw StartError(description: "submission failed: \(output.stderrText)") }
    }

    /// The messages the scripted server has stored, waiting until there are `count` (or 30 s pass).
    public func waitForMessages(_ count: Int) async throws -> [[UInt8]] {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []).filter { $0.hasSuffix(".eml") }.sorted()
            if names.count >= count || ContinuousClock.now > deadline {
                return try names.map { Array(try Data(contentsOf: URL(fileURLWithPath: outbox + "/" + $0))) }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Stops Postfix (`postfix stop`, which ends master(8) and its children) and the scripted
    /// server, and removes the directory.
    public func stop() {
        if let starter = try? KnotServer.spawn(Self.postfix, ["postfix", "-c", directory + "/conf", "stop"], log: directory + "/stop") {
            var status: Int32 = 0
            waitpid(starter, &status, 0)
        }
        KnotServer.stop(pid: scriptedPID, removing: directory)
    }
}
