import ArgumentParser
import DNSCore
import Foundation

/// What an earlier `--format jsonl` run recorded (`--resume FILE`): the domains it reported and
/// the list lines it rejected, so a killed run continues where it stopped.
///
/// Only whole lines count: a run killed while writing leaves at most one unfinished last line,
/// which is ignored (and removed, when the new run appends to the same file). Each line is read
/// for its top-level `"domain"` key only, never parsed whole, so resuming a million-domain run
/// does not re-read a million reports as JSON.
struct ResumeRecord {
    /// Fingerprints of the domains recorded (as ``AuditInput`` keeps them).
    private var domains: Set<Int> = []
    /// Line numbers of the rejected list lines recorded.
    private var rejectedLines: Set<Int> = []
    /// The file, and the length of its whole lines.
    private var path: String?
    private var wholeLength = 0
    private var length = 0

    init() {}

    /// Reads `path`. A file that does not exist records nothing (the first run of a job).
    init(reading path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return }
            throw ValidationError("--resume \(path): cannot read the file (\(String(cString: strerror(errno))))")
        }
        defer { close(descriptor) }
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw ValidationError("--resume \(path): reading failed (\(String(cString: strerror(errno))))") }
            if count == 0 { break }
            length += count
            var start = 0
            for index in 0..<count where chunk[index] == UInt8(ascii: "\n") {
                if pending.isEmpty {
                    record(chunk[start..<index])
                } else {
                    pending += chunk[start..<index]
                    record(pending[...])
                    pending.removeAll(keepingCapacity: true)
                }
                start = index + 1
                wholeLength = length - count + start
            }
            pending += chunk[start..<count]
        }
    }

    func contains(_ domain: DomainName) -> Bool { domains.contains(domain.hashValue) }

    func containsRejection(line: Int) -> Bool { rejectedLines.contains(line) }

    /// Reads one whole line: a report's or an error record's top-level `"domain"`.
    private mutating func record(_ line: ArraySlice<UInt8>) {
        if let line = Self.number(after: Array("\"error\":{\"line\":".utf8), in: line) {
            rejectedLines.insert(line)
            return
        }
        guard let text = Self.string(after: Array("\"domain\":\"".utf8), in: line), let domain = try? DomainName(text) else { return }
        domains.insert(domain.hashValue)
    }

    /// Where `key` starts as a key of the line's outer object: after `{` or `,`, where inside a
    /// string value its quote would be escaped. (Only the report's top level has these keys.)
    private static func valueStart(after key: [UInt8], in line: ArraySlice<UInt8>) -> Int? {
        var index = line.startIndex
        while let found = line[index...].firstRange(of: key) {
            if found.lowerBound > line.startIndex, [UInt8(ascii: "{"), UInt8(ascii: ",")].contains(line[found.lowerBound - 1]) {
                return found.upperBound
            }
            index = found.upperBound
        }
        return nil
    }

    private static func string(after key: [UInt8], in line: ArraySlice<UInt8>) -> String? {
        guard let start = valueStart(after: key, in: line) else { return nil }
        var index = start
        while index < line.endIndex, line[index] != UInt8(ascii: "\"") {
            if line[index] == UInt8(ascii: "\\") { return nil }  // a domain name has no escapes
            index += 1
        }
        guard index < line.endIndex else { return nil }
        return String(decoding: line[start..<index], as: UTF8.self)
    }

    private static func number(after key: [UInt8], in line: ArraySlice<UInt8>) -> Int? {
        guard let start = valueStart(after: key, in: line) else { return nil }
        let digits = line[start...].prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        return Int(String(decoding: digits, as: UTF8.self))
    }

    /// When standard output appends to the resumed file itself (`--resume out.jsonl >> out.jsonl`)
    /// and the killed run left an unfinished last line, cuts it off, so the first new record
    /// starts a line of its own. Returns how many bytes were removed.
    func truncatePartialLineIfStandardOutput(_ path: String) -> Int? {
        guard length > wholeLength else { return nil }
        var file = stat()
        var output = stat()
        guard stat(path, &file) == 0, fstat(STDOUT_FILENO, &output) == 0, file.st_dev == output.st_dev,
            file.st_ino == output.st_ino, Int(file.st_size) == length
        else { return nil }
        guard ftruncate(STDOUT_FILENO, off_t(wholeLength)) == 0 else { return nil }
        return length - wholeLength
    }
}
