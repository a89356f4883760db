import ArgumentParser
import DNSCore

/// The resolver options every command takes: `--nameserver`, `--timeout`, `--attempts`, `--zone`.
public struct ResolverOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("nameserver"),
        help: ArgumentHelp("A nameserver to ask, IP[:PORT] or [IPv6]:PORT; repeat for failover. Default: /etc/resolv.conf.",
                           valueName: "ip[:port]"))
    public var nameservers: [String] = []

    @Option(help: "Seconds to wait for each answer.")
    public var timeout: Double = 2

    @Option(help: "Tries per nameserver.")
    public var attempts: Int = 2

    @Flag(help: "Set the DNSSEC OK bit and report the AD flag of a validating resolver; the audit also validates DNSSEC itself (see --trust-anchor).")
    public var dnssec: Bool = false

    @Option(help: ArgumentHelp(
        "Answer names inside these zone files from the files (a pre-deploy check): a file, or a directory of *.zone files (repeatable). Other names are asked over the network (--nameserver or /etc/resolv.conf) unless --offline.",
        valueName: "file|dir"), completion: .file())
    public var zone: [String] = []

    @Flag(help: ArgumentHelp(
        "With --zone: ask nothing over the network. Names outside the zone files are reported as not checked (incomplete), never as missing."))
    public var offline: Bool = false

    public init() {}

    public mutating func validate() throws {
        guard timeout > 0, timeout <= 60 else { throw ValidationError("--timeout must be between 0 and 60 seconds") }
        guard (1...10).contains(attempts) else { throw ValidationError("--attempts must be between 1 and 10") }
        guard !offline || !zone.isEmpty else { throw ValidationError("--offline needs --zone: it answers only from zone files") }
    }

    /// How long one DNS question may take (`--timeout`): what the library's deadlines are
    /// scaled from.
    public var questionTimeout: Duration { .milliseconds(Int(timeout * 1000)) }

    /// The resolver these options describe, wrapped in a cache.
    public func makeResolver() throws -> CachingResolver {
        CachingResolver(try makeBaseResolver())
    }
}
