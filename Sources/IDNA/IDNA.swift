internal import CIDN2
#if canImport(Glibc)
import Glibc
#endif

/// Internationalized domain names: the U-labels people type (`bücher.example`) and the A-labels
/// DNS carries (`xn--bcher-kva.example`), converted by libidn2 under IDNA2008 (RFC 5891) with the
/// UTS #46 non-transitional mapping that browsers and mail clients use (`ß` stays `ß`, input is
/// NFC-normalized first).
///
/// No C pointer leaves this module: each call copies libidn2's result into a Swift string and
/// frees it in the same scope.
public enum IDNA {
    /// A name that cannot be converted, with the label at fault and libidn2's reason.
    public struct ConversionError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The name as given.
        public var name: String
        /// The first label that cannot be converted (the whole name when no single label fails).
        public var label: String
        /// Why, in libidn2's words ("string contains a disallowed character").
        public var reason: String

        public var description: String {
            label == name
                ? "\"\(name)\" is not a valid internationalized domain name: \(reason) (IDNA2008, RFC 5891)"
                : "\"\(name)\" is not a valid internationalized domain name: label \"\(label)\": \(reason) (IDNA2008, RFC 5891)"
        }
    }

    /// Whether `text` has any character beyond ASCII, so needs converting.
    public static func isInternationalized(_ text: String) -> Bool { !text.utf8.allSatisfy { $0 < 0x80 } }

    /// The ASCII form of `name`: unchanged when it is all ASCII (A-labels included); else every
    /// U-label converted to its A-label (RFC 5891 §4, UTS #46 §4 non-transitional processing,
    /// `idn2_to_ascii_8z` with `IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT`). The UTS #46 mapping also
    /// lowercases and turns the ideographic full stop `。` into a dot.
    public static func ascii(_ name: String) throws(ConversionError) -> String {
        guard isInternationalized(name) else { return name }
        switch convert(name) {
        case .success(let ascii): return ascii
        case .failure(let reason):
            // Name the label: the first one that fails alone.
            let separators: Set<Character> = [".", "\u{3002}", "\u{FF0E}", "\u{FF61}"]
            for label in name.split(whereSeparator: { separators.contains($0) }).map(String.init) where isInternationalized(label) {
                if case .failure(let labelReason) = convert(label) {
                    throw ConversionError(name: name, label: label, reason: labelReason.text)
                }
            }
            throw ConversionError(name: name, label: name, reason: reason.text)
        }
    }

    /// The Unicode form of `name` for display: each A-label (`xn--…`) decoded (RFC 5891 §5.2,
    /// `idn2_to_unicode_8z8z`); `nil` when the name has no A-label or one does not decode.
    public static func unicode(_ name: String) -> String? {
        guard name.lowercased().split(separator: ".").contains(where: { $0.hasPrefix("xn--") }) else { return nil }
        var output: UnsafeMutablePointer<CChar>?
        let status = name.withCString { idn2_to_unicode_8z8z($0, &output, 0) }
        defer { free(output) }
        guard status == Int32(IDN2_OK.rawValue), let output else { return nil }
        return String(cString: output)
    }

    private static func convert(_ text: String) -> Result<String, Reason> {
        var output: UnsafeMutablePointer<CChar>?
        let flags = Int32(IDN2_NONTRANSITIONAL.rawValue | IDN2_NFC_INPUT.rawValue)
        let status = text.withCString { idn2_to_ascii_8z($0, &output, flags) }
        defer { free(output) }
        guard status == Int32(IDN2_OK.rawValue), let output else {
            return .failure(Reason(text: idn2_strerror(status).map { String(cString: $0) } ?? "libidn2 error \(status)"))
        }
        return .success(String(cString: output))
    }

    private struct Reason: Error {
        var text: String
    }
}
