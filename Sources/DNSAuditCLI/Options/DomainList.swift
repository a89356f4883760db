import Foundation

/// The lines of a domain list, read from a file descriptor in chunks as they are asked for, so a
/// list of millions of domains is never held in memory.
///
/// Lines end at LF, CRLF or CR; a UTF-8 BOM at the start is dropped. A line longer than
/// ``maximumLineLength`` bytes, or one that is not UTF-8, is returned as a ``Line/Content/unreadable(_:)``
/// line, so the reader can report it and go on. Reading blocks until a chunk arrives (a pipe).
struct DomainList: Sequence {
    /// Longer lines are not domain-list entries (a domain is at most 253 bytes; a CSV row may be
    /// longer, but not this long).
    static let maximumLineLength = 64 * 1024
    static let chunkSize = 64 * 1024

    struct Line {
        enum Content {
            case text(Substring)
            case unreadable(String)
        }

        /// 1-based.
        var number: Int
        var content: Content
    }

    /// Where the list comes from, as messages name it (`--domains-file list.txt`).
    let source: String
    let descriptor: Int32

    func makeIterator() -> Iterator { Iterator(descriptor: descriptor) }

    struct Iterator: IteratorProtocol {
        let descriptor: Int32
        private var buffer: [UInt8] = []
        private var position = 0
        private var ended = false
        private var number = 0
        /// The previous line ended with CR: a LF first in the next chunk belongs to it.
        private var afterCR = false
        private var atStart = true
        /// Bytes of an overlong line being skipped.
        private var skipping = false
        /// A read(2) error ended the input: reported as one more line, once.
        private var readError: Int32?

        init(descriptor: Int32) { self.descriptor = descriptor }

        mutating func next() -> Line? {
            while true {
                if let line = nextLine() { return line }
                if ended {
                    guard let error = readError else { return nil }
                    readError = nil
                    number += 1
                    return Line(number: number, content: .unreadable("reading stopped: \(String(cString: strerror(error)))"))
                }
                fill()
            }
        }

        /// A line from the buffer, or the last line at the end of input; `nil` when more input is needed.
        private mutating func nextLine() -> Line? {
            if afterCR, position < buffer.count {
                if buffer[position] == UInt8(ascii: "\n") { position += 1 }
                afterCR = false
            }
            if atStart, buffer.count - position >= 3 || ended {
                if buffer[position...].starts(with: [0xEF, 0xBB, 0xBF]) { position += 3 }
                atStart = false
            }
            if atStart { return nil }
            if let end = buffer[position...].firstIndex(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
                let bytes = buffer[position..<end]
                afterCR = buffer[end] == UInt8(ascii: "\r")
                position = end + 1
                if afterCR, position < buffer.count {
                    if buffer[position] == UInt8(ascii: "\n") { position += 1 }
                    afterCR = false
                }
                return finish(bytes)
            }
            if ended {
                guard position < buffer.count else { return nil }
                let bytes = buffer[position...]
                position = buffer.count
                return finish(bytes)
            }
            if buffer.count - position > DomainList.maximumLineLength {
                // An overlong line: report it once, drop its bytes until its end.
                position = buffer.count
                if !skipping {
                    skipping = true
                    number += 1
                    return Line(number: number, content: .unreadable("line longer than \(DomainList.maximumLineLength) bytes"))
                }
            }
            return nil
        }

        private mutating func finish(_ bytes: ArraySlice<UInt8>) -> Line? {
            if skipping {
                skipping = false
                return nextLine()
            }
            number += 1
            guard let text = String(validating: bytes, as: UTF8.self) else {
                return Line(number: number, content: .unreadable("not UTF-8 text"))
            }
            return Line(number: number, content: .text(Substring(text)))
        }

        private mutating func fill() {
            if position > 0 {
                buffer.removeFirst(position)
                position = 0
            }
            var chunk = [UInt8](repeating: 0, count: DomainList.chunkSize)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 {
                    if count < 0 { readError = errno }
                    ended = true
                } else {
                    buffer.append(contentsOf: chunk[0..<count])
                }
                return
            }
        }
    }
}
