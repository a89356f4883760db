internal import CLDNS
import DNSCore

#if canImport(Glibc)
import Glibc
#endif

/// Entry points for the libFuzzer targets in `Fuzz/`: the two places where DNSLDNS
/// reads bytes it does not control, reachable without a socket or a file.
///
/// Not API: import with `@_spi(Fuzzing) import DNSLDNS`. Each call runs exactly the code the
/// resolver and the zone reader run.
@_spi(Fuzzing)
public enum DNSLDNSFuzzing {
    /// Decodes a DNS message with ldns (record by record) and converts it as ``LDNSResolver`` does.
    ///
    /// - Returns: the question and the converted answer and authority records, or `nil` when the
    ///   bytes are not a DNS message.
    public static func parseReply(
        _ bytes: [UInt8]
    ) -> (question: DNSQuestion?, answers: [ResourceRecord], authority: [ResourceRecord])? {
        do {
            let reply = try bytes.withUnsafeBytes { (raw) throws(WireError) in try LDNSWire.parseReply(raw, convertAuthority: true) }
            return (reply.question, reply.answers, reply.authority)
        } catch {
            return nil
        }
    }

    /// Reads zone-file text with ldns' zone reader (as ``ZoneResolver/readZoneFile(_:origin:)``
    /// does) from memory.
    public static func readZone(_ bytes: [UInt8], origin: DomainName?) throws(ZoneFileError) -> [ResourceRecord] {
        guard !bytes.isEmpty else { throw ZoneFileError(path: "<memory>", line: nil, message: "empty") }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        guard let file = fmemopen(buffer.baseAddress, buffer.count, "r") else {
            throw ZoneFileError(path: "<memory>", line: nil, message: "fmemopen failed")
        }
        defer { fclose(file) }
        return try ZoneResolver.readZone(file, path: "<memory>", origin: origin)
    }
}
