import ArgumentParser
import DNSAudit
import Foundation
import TLS

/// The audit's live checks: the MTA-STS policy fetch (RFC 8461 §3.3) and the MX STARTTLS probe
/// (RFC 3207, RFC 7672). On unless `--no-probe`, or `--zone` with `--offline` (then nothing
/// leaves the machine, and the report says "not checked").
struct ProbeOptions: ParsableArguments, Sendable {
    @Flag(name: .customLong("no-probe"), help: "Do not connect to any server: no MTA-STS policy fetch, no MX STARTTLS probe (the report says \"not checked\").")
    var noProbe: Bool = false

    @Option(
        name: .customLong("ca-file"),
        help: ArgumentHelp("A PEM file of CA certificates to trust besides the system's, for the probes.", valueName: "file"),
        completion: .file())
    var caFile: String?

    @Option(
        name: .customLong("connect-to"),
        help: ArgumentHelp("Connect to IP:PORT when a probe asks for HOST:PORT, without DNS (repeatable; for tests).", valueName: "host:port=ip:port"))
    var connectTo: [String] = []

    func validate() throws {
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ValidationError("--ca-file \(caFile): no such readable file")
        }
        _ = try overrides()
    }

    func overrides() throws -> [ConnectOverride] {
        try connectTo.map { text in
            guard let override = ConnectOverride(text) else {
                throw ValidationError("--connect-to \(text.debugDescription) is not HOST:PORT=IP:PORT")
            }
            return override
        }
    }

    /// The probe settings for an audit whose whole deadline is `deadline` seconds; `nil` when
    /// probes are off. A probe gets at most half the audit's deadline, and 10 s a step.
    func make(offline: Bool, deadline: Double) throws -> TransportProbeOptions? {
        if noProbe || offline { return nil }
        let fetch = Duration.milliseconds(Int(min(15, deadline / 2) * 1000))
        return TransportProbeOptions(
            caFile: caFile, connectOverrides: try overrides(), stepTimeout: min(.seconds(10), fetch), fetchTimeout: fetch)
    }
}
