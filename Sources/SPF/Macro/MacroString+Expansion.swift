import DNSCore
import MailAuthCore

/// The values macros expand to (RFC 7208 §7.2).
public struct MacroValues: Sendable, Hashable {
    /// `%{s}`: `<sender>`, `local-part@domain`.
    public var sender: String
    /// `%{l}`
    public var localPart: String
    /// `%{o}`
    public var senderDomain: String
    /// `%{d}`: the domain whose record is being evaluated.
    public var domain: String
    /// `%{i}`, `%{c}`, `%{v}`: the client (IPv4-mapped IPv6 already unmapped).
    public var ip: IPAddress
    /// `%{h}`
    public var helo: String
    /// `%{p}`: the validated name of the client, or `unknown`.
    public var validatedName: String
    /// `%{r}`: the receiving host (`unknown` when not configured).
    public var receiver: String
    /// `%{t}`: seconds since the epoch.
    public var timestamp: Int

    public init(
        sender: String, localPart: String, senderDomain: String, domain: String, ip: IPAddress, helo: String,
        validatedName: String = "unknown", receiver: String = "unknown", timestamp: Int = 0
    ) {
        self.sender = sender
        self.localPart = localPart
        self.senderDomain = senderDomain
        self.domain = domain
        self.ip = ip
        self.helo = helo
        self.validatedName = validatedName
        self.receiver = receiver
        self.timestamp = timestamp
    }
}

extension MacroString {
    /// Expands the string (RFC 7208 §7.3): each macro's value split on its delimiters, reversed
    /// when `r` is given, cut to the rightmost N parts, rejoined with `.`, and URL-escaped when the
    /// letter was upper case.
    public func expand(_ values: MacroValues) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let text): out += text
            case .macro(let macro): out += macro.expand(values)
            }
        }
        return out
    }

    /// Expands a domain-spec and applies the 253-octet rule of §7.3: labels are removed from the
    /// left until the name fits.
    func expandDomain(_ values: MacroValues) -> String {
        var name = expand(values)
        if name.hasSuffix(".") { name.removeLast() }
        while name.utf8.count > SPFLimits.maximumDomainLength, let dot = name.firstIndex(of: ".") {
            name = String(name[name.index(after: dot)...])
        }
        return name
    }
}

extension Macro {
    func rawValue(_ values: MacroValues) -> String {
        switch letter {
        case .s: values.sender
        case .l: values.localPart
        case .o: values.senderDomain
        case .d: values.domain
        case .i:
            switch values.ip {
            case .v4(let address): address.description
            case .v6(let address): address.octets.flatMap { [String($0 >> 4, radix: 16), String($0 & 0x0F, radix: 16)] }
                .joined(separator: ".")
            }
        case .p: values.validatedName
        case .v:
            switch values.ip {
            case .v4: "in-addr"
            case .v6: "ip6"
            }
        case .h: values.helo
        case .c: values.ip.description
        case .r: values.receiver
        case .t: String(values.timestamp)
        }
    }

    func expand(_ values: MacroValues) -> String {
        let value = rawValue(values)
        let splitters = delimiters.isEmpty ? ["."] : Set(delimiters.map { $0 })
        var parts = value.split(omittingEmptySubsequences: false) { splitters.contains($0) }.map(String.init)
        if reverse { parts.reverse() }
        if let keep, keep < parts.count { parts = Array(parts.suffix(keep)) }
        let joined = parts.joined(separator: ".")
        return urlEscape ? Self.urlEscaped(joined) : joined
    }

    /// Escapes everything but RFC 3986 unreserved characters (§7.3).
    static func urlEscaped(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let unreserved = ASCII.isAlnum(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
            if unreserved {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
