import DNSCore
import DNSLDNS
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A fault-injecting DNS responder on 127.0.0.1, UDP and TCP on one port, for reliability tests.
///
/// Every query gets a reply shaped by ``Fault``: a correct answer, or one that is truncated, has
/// the wrong ID or question, is oversized, is not a reply at all, or is garbage. A correct answer
/// is one TXT record `v=spf1 -all` (or, for other types, NODATA with no authority).
///
/// ```swift
/// let server = try FaultyServer(.wrongID)
/// defer { server.stop() }
/// let resolver = LDNSResolver(nameservers: [server.nameserver], timeout: .milliseconds(300), attempts: 1)
/// ```
public final class FaultyServer: @unchecked Sendable {
    /// How the server misbehaves.
    public enum Fault: String, Sendable, CaseIterable {
        /// A correct answer (the control case).
        case correct
        /// A correct answer with the AD flag set, as a validating resolver sends (RFC 4035 §3.2.3).
        case authenticatedData
        /// The reply cut in the middle: UDP sends half a datagram; TCP announces the full length,
        /// sends half and closes.
        case truncatedPacket
        /// A correct reply whose ID differs from the query's.
        case wrongID
        /// A correct reply for another name (`wrong.invalid.`).
        case wrongQuestion
        /// A reply for the right question with a 60 KB TXT RRset: over UDP a datagram far above
        /// the advertised EDNS size; over TCP the full message.
        case oversized
        /// TCP announces 65,535 bytes, sends 100 and keeps the connection open (a slow server).
        case stalledTCP
        /// The query echoed back unchanged (QR=0: not a response).
        case notAResponse
        /// The right ID followed by random bytes.
        case garbage
        /// TC=1 over UDP every time, and garbage over TCP.
        case truncationThenGarbage
        /// Nothing is ever sent.
        case silent
        /// A 64 KB flood of wrong-ID datagrams for every query, then silence.
        case flood
        /// Wrong-ID datagrams sent back without pause from the first query until the server stops.
        case endlessFlood
    }

    public let fault: Fault
    public let port: UInt16
    private let udp: Int32
    private let tcp: Int32
    private let lock = NSLock()
    private var running = true
    private var queriesSeen = 0
    private var portsSeen: [UInt16: Int] = [:]
    private var thread: Thread?
    private var generator = SystemRandomNumberGenerator()

    /// Binds UDP and TCP on a free port of 127.0.0.1 and starts answering.
    public init(_ fault: Fault) throws {
        self.fault = fault
        var lastError = ""
        for _ in 0..<20 {
            let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard udp >= 0 else { throw KnotServer.StartError(description: "socket(): \(errno)") }
            guard let port = Self.bind(udp, port: 0) else {
                close(udp)
                throw KnotServer.StartError(description: "bind UDP: \(errno)")
            }
            let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var one: Int32 = 1
            setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            if tcp >= 0, Self.bind(tcp, port: port) != nil, listen(tcp, 64) == 0 {
                self.udp = udp
                self.tcp = tcp
                self.port = port
                let thread = Thread { [self] in serve() }
                thread.name = "FaultyServer \(fault)"
                self.thread = thread
                thread.start()
                return
            }
            lastError = "bind TCP \(port): \(errno)"
            close(udp)
            if tcp >= 0 { close(tcp) }
        }
        throw KnotServer.StartError(description: lastError)
    }

    deinit { stop() }

    /// The nameserver address to give a resolver.
    public var nameserver: Nameserver { Nameserver(.v4(IPv4Address(0x7F00_0001)), port: port) }

    /// How many queries (UDP datagrams and TCP messages) the server has read.
    public var queryCount: Int { lock.withLock { queriesSeen } }

    /// How many UDP queries came from each client source port.
    public var udpQueriesBySourcePort: [UInt16: Int] { lock.withLock { portsSeen } }

    /// Stops answering and closes the sockets (the serving thread exits within 50 ms).
    public func stop() {
        let wasRunning = lock.withLock {
            let was = running
            running = false
            return was
        }
        guard wasRunning else { return }
        // The thread polls with a 20 ms timeout and closes the sockets itself.
        while lock.withLock({ thread != nil }) { usleep(2_000) }
    }

    private var isRunning: Bool { lock.withLock { running } }

    /// Binds `fd` to 127.0.0.1:`port` (0: any free port); the port bound, or `nil`.
    static func bind(_ fd: Int32, port: UInt16) -> UInt16? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    // MARK: Serving (one thread; TCP connections are served one at a time, which is enough here)

    private func serve() {
        var stalled: [Int32] = []
        defer {
            close(udp)
            close(tcp)
            for fd in stalled { close(fd) }
            lock.withLock { thread = nil }
        }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var floodTarget: (address: sockaddr_storage, length: socklen_t, datagram: [UInt8])?
        while isRunning {
            if var target = floodTarget {
                // Keep the client's socket busy: a burst of 256 datagrams between polls.
                for _ in 0..<256 {
                    _ = target.datagram.withUnsafeBytes { raw in
                        withUnsafePointer(to: &target.address) {
                            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                                sendto(udp, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), $0, target.length)
                            }
                        }
                    }
                }
            }
            var fds = [pollfd(fd: udp, events: Int16(POLLIN), revents: 0), pollfd(fd: tcp, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 2, floodTarget == nil ? 20 : 0) > 0 else { continue }
            if fds[0].revents & Int16(POLLIN) != 0 {
                var from = sockaddr_storage()
                var fromLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let count = buffer.withUnsafeMutableBytes { raw in
                    withUnsafeMutablePointer(to: &from) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            recvfrom(udp, raw.baseAddress, raw.count, 0, $0, &fromLength)
                        }
                    }
                }
                if count > 0 {
                    let port = withUnsafeBytes(of: from) { raw in
                        raw.load(fromByteOffset: MemoryLayout<sockaddr_in>.offset(of: \.sin_port)!, as: UInt16.self)
                    }
                    lock.withLock {
                        queriesSeen += 1
                        portsSeen[UInt16(bigEndian: port), default: 0] += 1
                    }
                    if fault == .endlessFlood, let datagram = udpReplies(to: Array(buffer[..<count])).first {
                        floodTarget = (from, fromLength, datagram)
                    }
                    for datagram in udpReplies(to: Array(buffer[..<count])) {
                        _ = datagram.withUnsafeBytes { raw in
                            withUnsafePointer(to: &from) {
                                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                                    sendto(udp, raw.baseAddress, raw.count, 0, $0, fromLength)
                                }
                            }
                        }
                    }
                }
            }
            if fds[1].revents & Int16(POLLIN) != 0 {
                let connection = accept(tcp, nil, nil)
                if connection >= 0, serveTCP(connection) { stalled.append(connection) } else if connection >= 0 {
                    close(connection)
                }
            }
        }
    }

    /// Reads one length-prefixed query and answers it; returns true to keep the connection open.
    private func serveTCP(_ fd: Int32) -> Bool {
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < 2 || received.count < 2 + (Int(received[0]) << 8 | Int(received[1])) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return false }
            received += buffer[..<count]
        }
        lock.withLock { queriesSeen += 1 }
        let query = Array(received[2..<(2 + (Int(received[0]) << 8 | Int(received[1])))])
        guard fault != .silent else { return true }
        let reply: [UInt8]
        switch fault {
        case .correct, .authenticatedData, .wrongID, .wrongQuestion, .notAResponse, .oversized, .silent, .flood,
            .endlessFlood:
            let message = udpReplies(to: query, overTCP: true).first ?? []
            reply = Self.lengthPrefixed(message)
        case .truncatedPacket:
            let message = Self.answer(to: query) ?? query
            reply = Array(Self.lengthPrefixed(message).prefix(2 + message.count / 2))
        case .stalledTCP:
            reply = [0xFF, 0xFF] + Array(query.prefix(2)) + Array(repeating: 0, count: 98)
        case .garbage, .truncationThenGarbage:
            reply = Self.lengthPrefixed(Array(query.prefix(2)) + randomBytes(40...400))
        }
        reply.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { break }
                offset += sent
            }
        }
        return fault == .stalledTCP
    }

    /// The datagrams to send back for one UDP query (or the message for a TCP one).
    private func udpReplies(to query: [UInt8], overTCP: Bool = false) -> [[UInt8]] {
        guard query.count >= 12 else { return [] }
        switch fault {
        case .silent:
            return []
        case .correct:
            return [Self.answer(to: query)].compactMap { $0 }
        case .authenticatedData:
            guard var message = Self.answer(to: query) else { return [] }
            message[3] |= 0x20
            return [message]
        case .truncatedPacket:
            guard let message = Self.answer(to: query) else { return [] }
            return [Array(message.prefix(message.count / 2))]
        case .wrongID:
            guard var message = Self.answer(to: query) else { return [] }
            message[0] ^= 0x5A
            message[1] ^= 0xA5
            return [message]
        case .wrongQuestion:
            guard let message = Self.answer(to: query, questionName: ["wrong", "invalid"]) else { return [] }
            return [message]
        case .oversized:
            return [Self.answer(to: query, txtStrings: 235)].compactMap { $0 }
        case .stalledTCP:
            // UDP says "truncated" so the client goes to TCP, where the server stalls.
            return [Self.answer(to: query, truncated: true)].compactMap { $0 }
        case .notAResponse:
            return [query]
        case .garbage:
            return [Array(query.prefix(2)) + randomBytes(0...600)]
        case .truncationThenGarbage:
            return [Self.answer(to: query, truncated: true)].compactMap { $0 }
        case .endlessFlood:
            guard var message = Self.answer(to: query) else { return [] }
            message[0] ^= 0xFF
            return [message]
        case .flood:
            guard let message = Self.answer(to: query) else { return [] }
            return (0..<400).map { index in
                var copy = message
                copy[0] ^= UInt8(truncatingIfNeeded: index | 1)
                return copy
            }
        }
    }

    private func randomBytes(_ range: ClosedRange<Int>) -> [UInt8] {
        (0..<Int.random(in: range, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static func lengthPrefixed(_ message: [UInt8]) -> [UInt8] {
        [UInt8(message.count >> 8 & 0xFF), UInt8(message.count & 0xFF)] + message
    }

    /// A reply to `query`: its ID, QR=1 AA=1, its question (or `questionName`), and for a TXT
    /// question one record of `txtStrings` 255-byte strings (or `v=spf1 -all` when 0).
    static func answer(
        to query: [UInt8], questionName: [String]? = nil, txtStrings: Int = 0, truncated: Bool = false
    ) -> [UInt8]? {
        guard query.count >= 12 else { return nil }
        // Walk the question name to find QTYPE.
        var index = 12
        while index < query.count, query[index] != 0 {
            index += 1 + Int(query[index])
        }
        guard index + 5 <= query.count else { return nil }
        let questionEnd = index + 5
        let type = UInt16(query[index + 1]) << 8 | UInt16(query[index + 2])
        var message = Array(query[0..<2])
        message += [0x84 | (truncated ? 0x02 : 0x00) | (query[2] & 0x01), 0x00]  // QR AA (TC) RD; NOERROR
        let answering = type == 16 && !truncated
        message += [0x00, 0x01, 0x00, answering ? 0x01 : 0x00, 0x00, 0x00, 0x00, 0x00]
        if let questionName {
            for label in questionName {
                message.append(UInt8(label.utf8.count))
                message += Array(label.utf8)
            }
            message += [0x00] + Array(query[(index + 1)..<questionEnd])
        } else {
            message += Array(query[12..<questionEnd])
        }
        if answering {
            var rdata: [UInt8] = []
            if txtStrings == 0 {
                rdata = [11] + Array("v=spf1 -all".utf8)
            } else {
                for _ in 0..<txtStrings { rdata += [255] + Array(repeating: UInt8(ascii: "x"), count: 255) }
            }
            message += [0xC0, 0x0C, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3C]
            message += [UInt8(rdata.count >> 8), UInt8(rdata.count & 0xFF)] + rdata
        }
        return message
    }
}
