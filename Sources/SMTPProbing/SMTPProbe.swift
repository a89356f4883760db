import DNSCore
import Foundation
import MailAuthCore
import SMTP
import TLS

/// Probes an SMTP server the way a sending script meets it, and explains what it finds.
///
/// For each port: the connect time, the greeting and its time, EHLO in plain text and inside TLS,
/// whether the port speaks implicit TLS (RFC 8314 §3.3) or STARTTLS (RFC 3207) and which client
/// setting fails on it, the TLS version, cipher, group and certificate chain verified against the
/// system trust store and the host name, AUTH mechanisms before and after TLS, SIZE, PIPELINING,
/// 8BITMIME, SMTPUTF8, REQUIRETLS, and the STARTTLS command-injection check (RFC 3207 §4.2).
///
/// Never sends a message: the conversation is EHLO, STARTTLS, optionally one AUTH, and QUIT. Every
/// step has ``Configuration/stepTimeout``; a server that sends garbage, an endless line or nothing
/// ends the port's probe with a finding. Host names are resolved through the given resolver.
///
/// ```swift
/// let probe = SMTPProbe(configuration: .init(ports: [587, 465]), resolver: LDNSResolver())
/// let report = await probe.probe(host: "smtp.gmail.com")
/// ```
public struct SMTPProbe: Sendable {
    /// What to probe and how.
    public struct Configuration: Sendable {
        /// The ports, probed in this order.
        public var ports: [UInt16]
        /// How the client being reproduced starts TLS (`--expect`); `nil` follows each port's
        /// convention (``TLSStart/convention(forPort:)``) and names a port that differs.
        public var expect: TLSStart?
        /// A PEM file of CA certificates trusted besides the system's (`--ca-file`).
        public var caFile: String?
        /// The deadline of each step: connect, greeting, each command's reply, the handshake.
        public var stepTimeout: Duration
        /// The name given in EHLO (RFC 5321 §4.1.1.1).
        public var ehloName: String
        /// Where to connect instead of resolving (tests; `--connect-to`).
        public var connectOverrides: [ConnectOverride]
        /// The opt-in AUTH test: one attempt, on the first port where TLS verified and AUTH is offered.
        public var credentials: SMTPCredentials?
        /// Whether to run the STARTTLS command-injection check (one more connection per STARTTLS port).
        public var checkInjection: Bool
        /// How long the injection check waits for an answer to the injected command.
        public var injectionWait: Duration

        public init(
            ports: [UInt16] = [25, 465, 587], expect: TLSStart? = nil, caFile: String? = nil,
            stepTimeout: Duration = SMTPProbe.defaultStepTimeout, ehloName: String = "dnsaudit.invalid",
            connectOverrides: [ConnectOverride] = [], credentials: SMTPCredentials? = nil, checkInjection: Bool = true,
            injectionWait: Duration = .milliseconds(1500)
        ) {
            self.ports = ports
            self.expect = expect
            self.caFile = caFile
            self.stepTimeout = stepTimeout
            self.ehloName = ehloName
            self.connectOverrides = connectOverrides
            self.credentials = credentials
            self.checkInjection = checkInjection
            self.injectionWait = injectionWait
        }
    }

    /// The default deadline of one step.
    public static let defaultStepTimeout: Duration = .seconds(10)

    public let configuration: Configuration
    /// Resolves host names (A, AAAA) and `--mx` domains (MX); `nil` allows only addresses and
    /// overridden names.
    public let resolver: (any DNSResolver)?

    public init(configuration: Configuration, resolver: (any DNSResolver)?) {
        self.configuration = configuration
        self.resolver = resolver
    }

    /// Probes one host's ports.
    public func probe(host: String) async -> SMTPProbeReport {
        var credentialsLeft = configuration.credentials != nil
        let host = await probeHost(host, mxPreference: nil, authAllowed: &credentialsLeft)
        return SMTPProbeReport(hosts: [host])
    }

    /// Probes every MX host of `domain`, in preference order (RFC 5321 §5.1).
    public func probe(mxDomain domain: String) async -> SMTPProbeReport {
        var report = SMTPProbeReport(mxDomain: domain)
        guard let name = try? DomainName(domain) else {
            report.findings.append(SMTPProbeFindings.hostNotFound(domain))
            return report
        }
        guard let resolver else {
            report.findings.append(SMTPProbeFindings.dnsFailure(domain, "no resolver"))
            return report
        }
        let response: DNSResponse
        do {
            response = try await resolver.query(name, .mx)
        } catch {
            report.findings.append(SMTPProbeFindings.dnsFailure(domain, error.description))
            return report
        }
        if response.outcome == .nxdomain {
            report.findings.append(SMTPProbeFindings.hostNotFound(domain))
            return report
        }
        let exchangers = response.mx.sorted { $0.preference < $1.preference }
            .filter { !$0.exchange.isRoot }
        if exchangers.isEmpty {
            report.findings.append(SMTPProbeFindings.mxNone(domain))
            return report
        }
        var credentialsLeft = configuration.credentials != nil
        for exchanger in exchangers {
            let host = exchanger.exchange.description
            report.hosts.append(await probeHost(host, mxPreference: exchanger.preference, authAllowed: &credentialsLeft))
        }
        return report
    }

    private func probeHost(_ host: String, mxPreference: UInt16?, authAllowed: inout Bool) async -> SMTPHostProbe {
        var result = SMTPHostProbe(host: host, mxPreference: mxPreference)
        var resolved: [IPAddress]?
        var resolutionFailed = false
        for port in configuration.ports {
            let target: (IPAddress, UInt16)
            if let override = ConnectOverride.matching(configuration.connectOverrides, host: host, port: port) {
                target = (override.address, override.targetPort)
            } else if let address = IPAddress(host) {
                target = (address, port)
            } else {
                if resolved == nil, !resolutionFailed {
                    let (addresses, finding) = await resolve(host)
                    if let finding { result.findings.append(finding) }
                    resolved = addresses
                    resolutionFailed = addresses.isEmpty
                }
                guard let first = resolved?.first else { continue }
                target = (first, port)
            }
            let addressText = target.0.description
            if !result.addresses.contains(addressText) { result.addresses.append(addressText) }
            let prober = PortProber(
                configuration: configuration, host: host, port: port, address: target.0, targetPort: target.1,
                credentials: authAllowed ? configuration.credentials : nil)
            let portProbe = await prober.run()
            if portProbe.auth != nil { authAllowed = false }
            result.ports.append(portProbe)
        }
        if configuration.credentials != nil, authAllowed,
            !result.ports.contains(where: { $0.findings.contains { $0.id == "smtp.auth-not-attempted" } })
        {
            result.findings.append(SMTPProbeFindings.authNotAttemptedOnAnyPort())
        }
        if let blocked = Self.port25Blocked(result.ports) {
            result.findings.append(blocked)
            if let index = result.ports.firstIndex(where: { $0.port == 25 }) {
                result.ports[index].findings.removeAll { $0.id == "smtp.connect-timeout" }
            }
        }
        return result
    }

    /// Port 25 timed out while 465 or 587 connected: the local network blocks 25.
    static func port25Blocked(_ ports: [SMTPPortProbe]) -> Finding? {
        guard let relay = ports.first(where: { $0.port == 25 }),
            relay.findings.contains(where: { $0.id == "smtp.connect-timeout" })
        else { return nil }
        let answering = ports.filter { $0.port != 25 && $0.connectMilliseconds != nil }.map(\.port)
        return answering.isEmpty ? nil : SMTPProbeFindings.port25Blocked(answering: answering)
    }

    /// The host's addresses, IPv4 first; a finding when there are none.
    private func resolve(_ host: String) async -> ([IPAddress], Finding?) {
        guard let name = try? DomainName(host) else { return ([], SMTPProbeFindings.hostNotFound(host)) }
        guard let resolver else { return ([], SMTPProbeFindings.dnsFailure(host, "no resolver")) }
        var addresses: [IPAddress] = []
        var nxdomain = false
        for type in [RecordType.a, .aaaa] {
            do {
                let response = try await resolver.query(name, type)
                if response.outcome == .nxdomain { nxdomain = true }
                addresses += response.addresses
            } catch {
                if addresses.isEmpty { return ([], SMTPProbeFindings.dnsFailure(host, error.description)) }
            }
            if nxdomain { break }
        }
        if nxdomain { return ([], SMTPProbeFindings.hostNotFound(host)) }
        return (addresses, addresses.isEmpty ? SMTPProbeFindings.hostNoAddress(host) : nil)
    }
}
