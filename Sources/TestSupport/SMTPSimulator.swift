import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The scripted SMTP server of Tests/Fixtures/smtp/smtp_simulator.py on 127.0.0.1: real Gmail and
/// Microsoft 365 replies, and servers that misbehave (silence, garbage, a 10 MB line, a full accept
/// queue, STARTTLS injection). One process serves every behaviour asked for, each on its own
/// free port.
public final class SMTPSimulator: Sendable {
    /// What a port does (see the script's docstring).
    public enum Behaviour: Sendable, Hashable {
        case gmail, gmailImplicit, microsoft, silent, garbage, longLine, injectable, blackhole
        /// Gmail with the greeting sent after this many tenths of a second.
        case delayedGreeting(tenths: Int)

        var argument: String {
            switch self {
            case .gmail: "gmail"
            case .gmailImplicit: "gmail-implicit"
            case .microsoft: "microsoft"
            case .silent: "silent"
            case .garbage: "garbage"
            case .longLine: "longline"
            case .injectable: "injectable"
            case .blackhole: "blackhole"
            case .delayedGreeting(let tenths): "delay-\(tenths)"
            }
        }
    }

    /// Ports are picked below Linux's ephemeral range (32768–60999): on a machine busy with
    /// other tests' connections a port in that range is often held as a client's source port, and
    /// binding it fails.
    static let portRange: ClosedRange<UInt16> = 20_000...32_000

    public let pid: pid_t
    public let directory: String
    /// The port of each behaviour.
    public let ports: [Behaviour: UInt16]

    private init(pid: pid_t, directory: String, ports: [Behaviour: UInt16]) {
        self.pid = pid
        self.directory = directory
        self.ports = ports
    }

    /// The port serving `behaviour` (0 when it was not asked for).
    public func port(_ behaviour: Behaviour) -> UInt16 { ports[behaviour] ?? 0 }

    /// Starts the simulator with a TLS certificate and key (PEM).
    public static func start(_ behaviours: [Behaviour], certificate: String, key: String) async throws -> SMTPSimulator {
        var lastError = ""
        for _ in 0..<5 {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("dnsaudit-smtpsim-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var ports: [Behaviour: UInt16] = [:]
            var used = Set<UInt16>()
            for behaviour in behaviours {
                var port = UInt16.random(in: Self.portRange)
                while used.contains(port) { port = UInt16.random(in: Self.portRange) }
                used.insert(port)
                ports[behaviour] = port
            }
            let arguments = ["python3", KnotServer.fixtures("smtp/smtp_simulator.py"), "--cert", certificate, "--key", key,
                             "--ready", directory + "/ready"] + behaviours.map { "\($0.argument)=\(ports[$0] ?? 0)" }
            let pid = try KnotServer.spawn("/usr/bin/python3", arguments, log: directory + "/simulator")
            let simulator = SMTPSimulator(pid: pid, directory: directory, ports: ports)
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                if FileManager.default.fileExists(atPath: directory + "/ready") { return simulator }
                if kill(pid, 0) != 0 || !isAlive(pid) { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            lastError = (try? String(contentsOfFile: directory + "/simulator.stderr", encoding: .utf8)) ?? "no log"
            simulator.stop()
        }
        throw KnotServer.StartError(description: "the SMTP simulator did not start: \(lastError)")
    }

    /// What the simulator logged (one line per command; never an AUTH payload).
    public var log: String { (try? String(contentsOfFile: directory + "/simulator.stderr", encoding: .utf8)) ?? "" }

    public func stop() { KnotServer.stop(pid: pid, removing: directory) }

    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
        return state != "Z" && state != "X"
    }
}
