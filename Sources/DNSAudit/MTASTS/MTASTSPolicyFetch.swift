import DNSCore
import Foundation
import MailAuthCore
import TLS

/// How the audit reaches servers for its live checks: the MTA-STS policy fetch and the MX
/// STARTTLS probe. `nil` in ``Auditor/Options/probe`` skips every network probe (`--no-probe`,
/// `--zone --offline`), and the report says "not checked".
public struct TransportProbeOptions: Sendable {
    /// A PEM file of CA certificates trusted besides the system trust store (`--ca-file`).
    public var caFile: String?
    /// `HOST:PORT=IP:PORT` mappings (`--connect-to`): the name is not looked up, the connection
    /// goes to the address, and SNI and the certificate check still use the name.
    public var connectOverrides: [ConnectOverride]
    /// The deadline of one network step (connect, handshake, one read or write).
    public var stepTimeout: Duration
    /// The deadline of a whole policy fetch: a server that trickles bytes or never closes is cut
    /// off here.
    public var fetchTimeout: Duration

    public init(
        caFile: String? = nil, connectOverrides: [ConnectOverride] = [], stepTimeout: Duration = .seconds(10),
        fetchTimeout: Duration = .seconds(15)
    ) {
        self.caFile = caFile
        self.connectOverrides = connectOverrides
        self.stepTimeout = stepTimeout
        self.fetchTimeout = fetchTimeout
    }
}

/// What fetching `https://mta-sts.<domain>/.well-known/mta-sts.txt` gave (RFC 8461 §3.3): the
/// policy, when the fetch obeyed every rule, and a finding for each rule broken.
public struct MTASTSPolicyFetch: Sendable {
    /// The URL fetched.
    public var url: String
    /// The policy parsed, when the server answered 200 with `text/plain` within 64 KiB over a
    /// certificate valid for the policy host.
    public var policy: MTASTSPolicy?
    /// Why the policy could not be used (empty when ``policy`` is set).
    public var findings: [Finding]
    /// The HTTP status code, when a response came.
    public var httpStatus: Int?
    /// The `Content-Type` header, as sent.
    public var contentType: String?
    /// The body's size in bytes, when it was read whole.
    public var bodyBytes: Int?
    /// The TLS version negotiated (`TLSv1.3`).
    public var tlsVersion: String?

    /// Ids of the findings a fetch gives (besides ``MTASTSPolicy/findingIDs`` of the parse;
    /// an oversized body is `mta-sts.policy-too-large`, as in the parse).
    public static let findingIDs = [
        "mta-sts.policy-unreachable", "mta-sts.policy-tls", "mta-sts.policy-certificate", "mta-sts.policy-redirect",
        "mta-sts.policy-http-status", "mta-sts.policy-content-type", "mta-sts.policy-timeout", "mta-sts.policy-bad-http",
    ]

    /// The path of the policy under the policy host (RFC 8461 §3.3).
    public static let path = "/.well-known/mta-sts.txt"
    /// The most a response's status line and headers may take.
    static let maximumHeaderBytes = 16_384

    init(url: String) {
        self.url = url
        findings = []
    }

    /// Fetches the policy of `domain` (RFC 8461 §3.3): HTTPS to `mta-sts.<domain>` resolved
    /// through `resolver` (or a `--connect-to` override), no redirects followed, status 200 only,
    /// `text/plain` only, at most 64 KiB read, the certificate valid for the policy host, every
    /// step and the whole fetch under a deadline. Never throws: each failure is a finding.
    public static func fetch(
        domain: DomainName, resolver: any DNSResolver, options: TransportProbeOptions
    ) async -> MTASTSPolicyFetch {
        let hostName = "mta-sts.\(domain)"
        var result = MTASTSPolicyFetch(url: "https://\(hostName)\(path)")
        let overall = ContinuousClock.now + options.fetchTimeout
        func stepDeadline() -> ContinuousClock.Instant { min(ContinuousClock.now + options.stepTimeout, overall) }

        // Where to connect: the override, or the host's addresses through the audit's resolver.
        var targets: [(IPAddress, UInt16)] = []
        if let override = ConnectOverride.matching(options.connectOverrides, host: hostName, port: 443) {
            targets = [(override.address, override.targetPort)]
        } else if let host = try? DomainName(hostName) {
            let answers = await resolver.queryAll([DNSQuestion(host, .a), DNSQuestion(host, .aaaa)])
            for case .success(let response) in answers { targets += response.addresses.map { ($0, 443) } }
        }
        guard !targets.isEmpty else {
            result.findings.append(finding(
                "mta-sts.policy-unreachable", "MTA-STS policy host cannot be reached",
                "\(hostName) has no address to connect to, so senders cannot fetch \(result.url).",
                fix: "Publish A or AAAA records for \(hostName) pointing at an HTTPS server with the policy file."))
            return result
        }

        var stream: ByteStream?
        var connectErrors: [String] = []
        for (address, port) in targets {
            do {
                stream = try await ByteStream.connect(to: address, port: port, deadline: stepDeadline())
                break
            } catch {
                connectErrors.append("\(error)")
            }
        }
        guard let stream else {
            let timedOut = ContinuousClock.now >= overall
            result.findings.append(finding(
                timedOut ? "mta-sts.policy-timeout" : "mta-sts.policy-unreachable",
                timedOut ? "MTA-STS policy fetch timed out" : "MTA-STS policy host cannot be reached",
                "No connection to \(hostName) port 443: \(connectErrors.joined(separator: "; ")).", evidence: connectErrors,
                fix: "Run an HTTPS server on \(hostName) port 443 that serves \(path)."))
            return result
        }
        defer { stream.close() }

        let session: TLSSession
        do {
            session = try await stream.startTLS(
                TLSClientConfiguration(serverName: hostName, caFile: options.caFile, applicationProtocols: ["http/1.1"]),
                deadline: stepDeadline())
        } catch {
            result.findings.append(streamFailure(error, host: hostName, step: "TLS handshake", overall: overall))
            return result
        }
        result.tlsVersion = session.version
        guard session.verification.verified else {
            let leaf = session.chain.first
            result.findings.append(finding(
                "mta-sts.policy-certificate", "MTA-STS policy host's certificate is not valid for \(hostName)",
                "The certificate \(hostName) presents does not verify: \(session.verification.reason). Senders do not fetch a "
                    + "policy over such a connection (RFC 8461 §3.3), so the domain has no usable policy.",
                evidence: leaf.map { ["subject: \($0.subject)", "names: \($0.subjectAlternativeNames.joined(separator: ", "))",
                                      "issuer: \($0.issuer)"] } ?? [],
                fix: "Serve a certificate from a public CA that names \(hostName) and is within its validity period."))
            return result
        }

        let request = "GET \(path) HTTP/1.1\r\nHost: \(hostName)\r\nUser-Agent: dnsaudit\r\nAccept: text/plain\r\n"
            + "Connection: close\r\n\r\n"
        var reader = ResponseReader(stream: stream, overall: overall, step: options.stepTimeout)
        let response: HTTPResponseHead
        do {
            try await stream.write(Array(request.utf8), deadline: stepDeadline())
            response = try await reader.readHead()
        } catch {
            result.findings.append(streamFailure(error, host: hostName, step: "HTTP response", overall: overall))
            return result
        }
        result.httpStatus = response.status
        result.contentType = response.header("content-type")
        if (300...399).contains(response.status) {
            let location = response.header("location")
            result.findings.append(finding(
                "mta-sts.policy-redirect", "MTA-STS policy URL redirects",
                "\(result.url) answered \(response.status)\(location.map { " to \($0)" } ?? ""). Senders must not follow "
                    + "redirects (RFC 8461 §3.3), so they get no policy.",
                evidence: [response.statusLine] + (location.map { ["Location: \($0)"] } ?? []),
                fix: "Serve the policy file itself at \(result.url), with status 200."))
            return result
        }
        guard response.status == 200 else {
            result.findings.append(finding(
                "mta-sts.policy-http-status", "MTA-STS policy URL answers \(response.status)",
                "\(result.url) answered \(response.statusLine.debugDescription); senders accept only 200 (RFC 8461 §3.3).",
                evidence: [response.statusLine], fix: "Serve the policy file at \(result.url) with status 200."))
            return result
        }
        let mediaType = result.contentType.map { String($0.split(separator: ";", maxSplits: 1).first ?? "") }?
            .trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "text/plain" else {
            result.findings.append(finding(
                "mta-sts.policy-content-type", "MTA-STS policy is not served as text/plain",
                "\(result.url) has Content-Type \(result.contentType.map { $0.debugDescription } ?? "(none)"); senders require "
                    + "text/plain (RFC 8461 §3.3).",
                evidence: ["Content-Type: \(result.contentType ?? "")"],
                fix: "Serve mta-sts.txt with `Content-Type: text/plain`."))
            return result
        }
        let body: [UInt8]
        do {
            body = try await reader.readBody(of: response, limit: MTASTSPolicy.maximumSize)
        } catch let error as BodyTooLarge {
            result.findings.append(MTASTSPolicy.finding(
                "mta-sts.policy-too-large", .error, "MTA-STS policy is larger than 64 KiB",
                "\(result.url) sends \(error.declared.map { "\($0) bytes" } ?? "more than 65536 bytes"); senders stop "
                    + "reading at 64 KiB and treat it as invalid.", rfc: "RFC 8461 §3.3", fix: "Keep the policy to its four fields."))
            return result
        } catch {
            result.findings.append(streamFailure(error, host: hostName, step: "policy body", overall: overall))
            return result
        }
        result.bodyBytes = body.count
        result.policy = MTASTSPolicy(parsing: body)
        return result
    }

    static func finding(
        _ id: String, _ title: String, _ detail: String, evidence: [String] = [], fix: String
    ) -> Finding {
        Finding(id: id, severity: .error, title: title, detail: detail, evidence: evidence, rfc: "RFC 8461 §3.3", fix: fix)
    }

    /// A failed network or HTTP step as a finding: the deadline, the TLS handshake, or the rest.
    static func streamFailure(
        _ error: any Error, host: String, step: String, overall: ContinuousClock.Instant
    ) -> Finding {
        if let error = error as? StreamError, error.kind == .timeout || ContinuousClock.now >= overall {
            return finding(
                "mta-sts.policy-timeout", "MTA-STS policy fetch timed out",
                "\(host) did not finish the \(step) before the deadline (\(error.description)): a server that trickles bytes "
                    + "or never closes the connection gives senders no policy.",
                evidence: [error.description], fix: "Serve the policy file promptly, with a Content-Length, and close the response.")
        }
        if let error = error as? StreamError, error.kind == .handshake {
            return finding(
                "mta-sts.policy-tls", "MTA-STS policy host's TLS handshake failed",
                "The TLS handshake with \(host) failed: \(error.message).", evidence: [error.description],
                fix: "Serve HTTPS (TLS 1.2 or later) on \(host) port 443.")
        }
        return finding(
            "mta-sts.policy-bad-http", "MTA-STS policy host's HTTP response is unusable",
            "The \(step) from \(host) could not be read: \(error).", evidence: ["\(error)"],
            fix: "Serve the policy file with a well-formed HTTP/1.1 response.")
    }
}

/// The body declared, or found, larger than the limit.
struct BodyTooLarge: Error {
    var declared: Int?
}

/// An HTTP response that is not HTTP/1.1 as RFC 9112 writes it.
struct MalformedHTTP: Error, CustomStringConvertible {
    var description: String
}

/// The status line and header fields of an HTTP/1.1 response (RFC 9112 §4, §5).
struct HTTPResponseHead: Sendable {
    var statusLine: String
    var status: Int
    /// Field names lower-cased, values trimmed, in order.
    var fields: [(name: String, value: String)]

    func header(_ name: String) -> String? { fields.first { $0.name == name }?.value }
}

/// Reads one HTTP/1.1 response from a stream, buffering what came beyond the part asked for.
struct ResponseReader {
    let stream: ByteStream
    let overall: ContinuousClock.Instant
    let step: Duration
    var buffer: [UInt8] = []
    var closed = false

    init(stream: ByteStream, overall: ContinuousClock.Instant, step: Duration) {
        self.stream = stream
        self.overall = overall
        self.step = step
    }

    /// Reads more bytes; `false` when the peer closed.
    mutating func fill() async throws -> Bool {
        if closed { return false }
        let bytes = try await stream.read(maxBytes: 16_384, deadline: min(ContinuousClock.now + step, overall))
        if bytes.isEmpty {
            closed = true
            return false
        }
        buffer += bytes
        return true
    }

    /// Takes one CRLF-ended (or LF-ended) line; throws when none is complete within `limit`.
    mutating func line(limit: Int) async throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                if line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard buffer.count <= limit else { throw MalformedHTTP(description: "a header line longer than \(limit) bytes") }
            guard try await fill() else { throw MalformedHTTP(description: "the connection closed in the middle of the response head") }
        }
    }

    /// status-line = HTTP-version SP status-code SP [ reason-phrase ]; then field-line CRLF until
    /// an empty line (RFC 9112 §4, §5). 1xx responses are skipped.
    mutating func readHead() async throws -> HTTPResponseHead {
        while true {
            var total = 0
            let statusLine = try await line(limit: MTASTSPolicyFetch.maximumHeaderBytes)
            let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]) else {
                throw MalformedHTTP(description: "not an HTTP/1.1 status line: \(String(statusLine.prefix(80)).debugDescription)")
            }
            var fields: [(String, String)] = []
            while true {
                let field = try await line(limit: MTASTSPolicyFetch.maximumHeaderBytes)
                total += field.utf8.count
                guard total <= MTASTSPolicyFetch.maximumHeaderBytes else {
                    throw MalformedHTTP(description: "response headers longer than \(MTASTSPolicyFetch.maximumHeaderBytes) bytes")
                }
                if field.isEmpty { break }
                guard let colon = field.firstIndex(of: ":") else {
                    throw MalformedHTTP(description: "a header line without a colon: \(String(field.prefix(80)).debugDescription)")
                }
                fields.append((field[..<colon].lowercased(), field[field.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            if (100...199).contains(status) { continue }
            return HTTPResponseHead(statusLine: statusLine, status: status, fields: fields)
        }
    }

    /// The body (RFC 9112 §6.3): chunked, or Content-Length bytes, or up to the close. More than
    /// `limit` bytes throws ``BodyTooLarge`` without reading the rest.
    mutating func readBody(of head: HTTPResponseHead, limit: Int) async throws -> [UInt8] {
        if let coding = head.header("transfer-encoding"), coding.lowercased().contains("chunked") {
            return try await readChunked(limit: limit)
        }
        if let lengthText = head.header("content-length") {
            guard let length = Int(lengthText), length >= 0 else {
                throw MalformedHTTP(description: "Content-Length \(lengthText.debugDescription) is not a number")
            }
            guard length <= limit else { throw BodyTooLarge(declared: length) }
            while buffer.count < length {
                guard try await fill() else {
                    throw MalformedHTTP(description: "the connection closed after \(buffer.count) of \(length) body bytes")
                }
            }
            return Array(buffer.prefix(length))
        }
        while try await fill() {
            if buffer.count > limit { throw BodyTooLarge(declared: nil) }
        }
        if buffer.count > limit { throw BodyTooLarge(declared: nil) }
        return buffer
    }

    /// chunked-body = *chunk last-chunk trailer-section CRLF; chunk = chunk-size [ chunk-ext ]
    /// CRLF chunk-data CRLF (RFC 9112 §7.1).
    mutating func readChunked(limit: Int) async throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeLine = try await line(limit: 1_024)
            let sizeText = sizeLine.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                throw MalformedHTTP(description: "a chunk size that is not hexadecimal: \(String(sizeLine.prefix(40)).debugDescription)")
            }
            if size == 0 { break }
            guard body.count + size <= limit else { throw BodyTooLarge(declared: nil) }
            while buffer.count < size + 2 {
                guard try await fill() else { throw MalformedHTTP(description: "the connection closed inside a chunk") }
            }
            body += buffer[..<size]
            guard buffer[size] == 0x0D, buffer[size + 1] == 0x0A else {
                throw MalformedHTTP(description: "a chunk not followed by CRLF")
            }
            buffer.removeFirst(size + 2)
        }
        return body  // trailer fields are not read: Connection: close ends the exchange
    }
}
