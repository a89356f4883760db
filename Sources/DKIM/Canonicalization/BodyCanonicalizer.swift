/// Canonicalizes a body as it streams past (RFC 6376 §3.4.3, §3.4.4), holding only a count of
/// pending empty lines and one pending CR or whitespace flag, never the body.
///
/// Feed chunks with ``update(_:)`` and collect the canonical bytes each call returns; ``finish()``
/// returns the tail. A CRLF split across two chunks is handled.
///
/// - simple: empty lines at the end are removed; a body that does not end in CRLF gets one, and an
///   empty body becomes a single CRLF.
/// - relaxed: WSP at line ends is removed, other runs of WSP become one SP, empty lines at the end
///   are removed, and a non-empty body that does not end in CRLF gets one; an empty body stays
///   empty (RFC 6376 erratum 3192 / RFC 8463 examples).
///
/// Lines are delimited by CRLF only; a bare CR or LF is an ordinary byte (``MailMessage`` has
/// already turned a Unix file's bare LFs into CRLF).
public struct BodyCanonicalizer: Sendable {
    public let algorithm: Canonicalization
    private var pendingCR = false
    private var pendingEmptyLines = 0
    private var pendingSpace = false
    private var lineHasContent = false
    private var emittedAnything = false

    public init(_ algorithm: Canonicalization) { self.algorithm = algorithm }

    /// Canonicalizes the next chunk; returns the canonical bytes that are now final.
    public mutating func update(_ chunk: some Sequence<UInt8>) -> [UInt8] {
        if let out = chunk.withContiguousStorageIfAvailable({ process($0) }) { return out }
        return Array(chunk).withUnsafeBufferPointer { process($0) }
    }

    /// Ends the body; returns the last canonical bytes.
    public mutating func finish() -> [UInt8] {
        var out: [UInt8] = []
        if pendingCR {
            pendingCR = false
            out += flushForContent()
            out.append(0x0D)
        }
        if lineHasContent {
            out += [0x0D, 0x0A]
            lineHasContent = false
        } else if algorithm == .simple && !emittedAnything {
            out += [0x0D, 0x0A]
        }
        pendingEmptyLines = 0
        pendingSpace = false
        emittedAnything = emittedAnything || !out.isEmpty
        return out
    }

    /// The canonical form of a whole body.
    public static func canonicalize(_ body: some Sequence<UInt8>, _ algorithm: Canonicalization) -> [UInt8] {
        var canonicalizer = BodyCanonicalizer(algorithm)
        var out = canonicalizer.update(body)
        out += canonicalizer.finish()
        return out
    }

    /// What goes out before the first content byte of a line: held empty lines, then a held space.
    private mutating func flushForContent() -> [UInt8] {
        var out: [UInt8] = []
        if !lineHasContent {
            for _ in 0..<pendingEmptyLines { out += [0x0D, 0x0A] }
            pendingEmptyLines = 0
            lineHasContent = true
            emittedAnything = true
        }
        if pendingSpace {
            out.append(0x20)
            pendingSpace = false
        }
        return out
    }

    private static let spaces: UInt64 = 0x2020_2020_2020_2020
    private static let carriageReturns: UInt64 = 0x0D0D_0D0D_0D0D_0D0D

    /// The high bit of each zero byte of `word` set (the zero-byte test of "Bit Twiddling Hacks").
    /// A borrow can also flag a byte above a zero byte, never below one: the lowest flag is exact.
    @inline(__always) private static func zeroFlags(_ word: UInt64) -> UInt64 {
        (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
    }

    /// Which of the eight bytes of `word` need a decision (the lowest flag is exact): CR, and for
    /// relaxed TAB and an SP before a WSP or CR. `next` is the offset in `source` of the byte after
    /// the first of `word`, so the byte after the eight is looked at too.
    @inline(__always)
    private static func flags(_ word: UInt64, _ source: UnsafeRawPointer, _ next: Int, _ relaxed: Bool) -> UInt64 {
        guard relaxed else { return zeroFlags(word ^ carriageReturns) }
        let following = source.loadUnaligned(fromByteOffset: next, as: UInt64.self)
        // byte | 0x04 is 0x0D for CR and TAB alone; (word ^ following) | (word ^ spaces) is zero
        // where an SP is followed by an SP.
        return zeroFlags((word | 0x0404_0404_0404_0404) ^ carriageReturns)
            | zeroFlags((following | 0x0404_0404_0404_0404) ^ carriageReturns)
            | zeroFlags((word ^ following) | (word ^ spaces))
    }

    /// The state machine over one chunk, writing straight into the result's storage. Each input
    /// byte gives at most one output byte, plus what was held from earlier chunks.
    private mutating func process(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let capacity = input.count + 2 * pendingEmptyLines + 4
        var canonicalizer = self
        let out = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            count = canonicalizer.run(input, into: buffer)
        }
        self = canonicalizer
        return out
    }

    /// Writes `byte`, a content byte, after what was held: empty lines, then a space.
    @inline(__always)
    private static func content(
        _ byte: UInt8, _ buffer: UnsafeMutableBufferPointer<UInt8>, _ o: inout Int, pendingEmptyLines: inout Int,
        pendingSpace: inout Bool, lineHasContent: inout Bool, emittedAnything: inout Bool
    ) {
        if !lineHasContent {
            while pendingEmptyLines > 0 {
                buffer[o] = 0x0D
                buffer[o + 1] = 0x0A
                o += 2
                pendingEmptyLines -= 1
            }
            lineHasContent = true
            emittedAnything = true
        }
        if pendingSpace {
            buffer[o] = 0x20
            o += 1
            pendingSpace = false
        }
        buffer[o] = byte
        o += 1
    }

    /// The state machine over `input`, writing into `buffer` (large enough: each input byte gives
    /// at most one output byte, plus what was held); returns how many bytes it wrote.
    private mutating func run(_ input: UnsafeBufferPointer<UInt8>, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        // Locals, not stored properties, in the loop: a struct's stored properties are not kept in
        // registers across it. (Before, closure-captured locals cost an exclusivity check a byte.)
        let relaxed = algorithm == .relaxed
        var pendingCR = self.pendingCR
        var pendingEmptyLines = self.pendingEmptyLines
        var pendingSpace = self.pendingSpace
        var lineHasContent = self.lineHasContent
        var emittedAnything = self.emittedAnything
        var o = 0
        var i = 0
        let n = input.count
        guard let source = input.baseAddress.map(UnsafeRawPointer.init),
              let target = buffer.baseAddress.map(UnsafeMutableRawPointer.init) else { return 0 }
        while i < n {
            // Fast path: the run of ordinary bytes in the middle of a line is copied as is.
            if lineHasContent && !pendingSpace && !pendingCR {
                while i < n {
                    // Eight or sixteen bytes at once: copied whole while none needs a decision
                    // (no CR, and for relaxed no TAB and no SP before a WSP or CR), else up to
                    // the first that does. (Swift's SIMD16 compiled slower here than two words
                    // tested side by side.)
                    if i + 17 <= n {
                        let first = source.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                        let second = source.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
                        let firstFlags = Self.flags(first, source, i + 1, relaxed)
                        let secondFlags = Self.flags(second, source, i + 9, relaxed)
                        target.storeBytes(of: first, toByteOffset: o, as: UInt64.self)
                        target.storeBytes(of: second, toByteOffset: o + 8, as: UInt64.self)
                        let plain = firstFlags != 0 ? firstFlags.trailingZeroBitCount >> 3
                            : secondFlags != 0 ? 8 + secondFlags.trailingZeroBitCount >> 3 : 16
                        o += plain
                        i += plain
                        if plain == 16 { continue }
                    } else if i + 9 <= n {
                        let word = source.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                        let flags = Self.flags(word, source, i + 1, relaxed)
                        target.storeBytes(of: word, toByteOffset: o, as: UInt64.self)
                        let plain = flags != 0 ? flags.trailingZeroBitCount >> 3 : 8
                        o += plain
                        i += plain
                        if plain == 8 { continue }
                    }
                    // The byte that needs a decision, decided here in the common cases; the
                    // rest (a CR without LF, a chunk ending mid-run) go to the state machine.
                    let byte = input[i]
                    if byte == 0x0D {
                        guard i + 1 < n, input[i + 1] == 0x0A else { break }
                        buffer[o] = 0x0D  // the end of the line
                        buffer[o + 1] = 0x0A
                        o += 2
                        i += 2
                        lineHasContent = false
                        break
                    }
                    if relaxed && (byte == 0x20 || byte == 0x09) {
                        var end = i + 1
                        while end < n, input[end] == 0x20 || input[end] == 0x09 { end += 1 }
                        guard end < n else { break }
                        if input[end] != 0x0D {
                            // A run of WSP between two ordinary bytes is one SP.
                            buffer[o] = 0x20
                            o += 1
                            i = end
                            continue
                        }
                        // WSP at the end of a line is dropped.
                        guard end + 1 < n, input[end + 1] == 0x0A else { break }
                        buffer[o] = 0x0D
                        buffer[o + 1] = 0x0A
                        o += 2
                        i = end + 2
                        lineHasContent = false
                        break
                    }
                    buffer[o] = byte
                    o += 1
                    i += 1
                }
                if i == n { break }
            }
            let byte = input[i]
            i += 1
            if pendingCR {
                pendingCR = false
                if byte == 0x0A {
                    // End of line. Relaxed: WSP at the end of a line is dropped.
                    pendingSpace = false
                    if lineHasContent {
                        buffer[o] = 0x0D
                        buffer[o + 1] = 0x0A
                        o += 2
                        lineHasContent = false
                    } else {
                        pendingEmptyLines += 1
                    }
                    continue
                }
                Self.content(
                    0x0D, buffer, &o, pendingEmptyLines: &pendingEmptyLines, pendingSpace: &pendingSpace,
                    lineHasContent: &lineHasContent, emittedAnything: &emittedAnything)
            }
            if byte == 0x0D {
                pendingCR = true
            } else if relaxed && (byte == 0x20 || byte == 0x09) {
                pendingSpace = true
            } else if !pendingSpace && lineHasContent {
                buffer[o] = byte  // the common case: an ordinary byte mid-line
                o += 1
            } else {
                Self.content(
                    byte, buffer, &o, pendingEmptyLines: &pendingEmptyLines, pendingSpace: &pendingSpace,
                    lineHasContent: &lineHasContent, emittedAnything: &emittedAnything)
            }
        }
        self.pendingCR = pendingCR
        self.pendingEmptyLines = pendingEmptyLines
        self.pendingSpace = pendingSpace
        self.lineHasContent = lineHasContent
        self.emittedAnything = emittedAnything
        return o
    }
}

/// Computes a body hash (`bh=`, RFC 6376 §3.7) as the body streams past: canonicalizes, hashes
/// with SHA-256, stops after `limit` canonical bytes when `l=` is in force, and counts the whole
/// canonical length so content after `l=` can be reported. Holds no more than one chunk.
///
/// Not thread-safe: use one hasher per body.
public final class BodyHasher {
    private var canonicalizer: BodyCanonicalizer
    private let stream = SHA256Stream()
    public let limit: Int?
    public private(set) var canonicalLength = 0

    public init(_ algorithm: Canonicalization, limit: Int?) {
        self.canonicalizer = BodyCanonicalizer(algorithm)
        self.limit = limit
    }

    /// Feeds the next chunk of the (CRLF) body.
    public func update(_ chunk: some Sequence<UInt8>) { absorb(canonicalizer.update(chunk)) }

    /// The digest of the first `limit` canonical bytes (all of them without a limit). Call once.
    public func finish() -> [UInt8] {
        absorb(canonicalizer.finish())
        return stream.finalize()
    }

    private func absorb(_ bytes: [UInt8]) {
        let already = canonicalLength
        canonicalLength += bytes.count
        if let limit {
            guard already < limit else { return }
            let take = min(bytes.count, limit - already)
            bytes.withUnsafeBytes { stream.update(UnsafeRawBufferPointer(rebasing: $0[0..<take])) }
        } else {
            stream.update(bytes)
        }
    }
}

extension BodyHasher {
    /// The body hash of a whole body held in memory, and its canonical length (no `l=`): the
    /// same as a hasher fed the body in one chunk, without the hasher and the stream objects.
    static func hash(_ body: [UInt8], _ algorithm: Canonicalization) -> (hash: [UInt8], length: Int) {
        let canonical = BodyCanonicalizer.canonicalize(body, algorithm)
        return (SHA256Stream.hash(canonical), canonical.count)
    }
}
