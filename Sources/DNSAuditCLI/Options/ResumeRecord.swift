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
        // An error record: {"domain":…,"error":{"line":N,…},…} (keys sorted, as written).
        if let error = Self.valueStart(ofTopLevelKey: "error", in: line) {
            let prefix = Array("{\"line\":".utf8)
            guard line[error...].starts(with: prefix) else { return }
            let digits = line[(error + prefix.count)...].prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            if let number = Int(String(decoding: digits, as: UTF8.self)) { rejectedLines.insert(number) }
            return
        }
        guard let start = Self.valueStart(ofTopLevelKey: "domain", in: line), start < line.endIndex,
            line[start] == UInt8(ascii: "\"")
        else { return }
        // A domain name in a report has no escapes: its text runs to the next quote.
        let text = line[(start + 1)...].prefix { $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        if let domain = try? DomainName(String(decoding: text, as: UTF8.self)) { domains.insert(domain.hashValue) }
    }

    /// Where the value of the outer object's key `name` starts, found by one pass that tracks
    /// strings and nesting: nested objects have keys of the same name (`data.dmarc.domain`).
    private static func valueStart(ofTopLevelKey name: String, in line: ArraySlice<UInt8>) -> Int? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        let key = Array(name.utf8)
        var depth = 0
        var expectingKey = false
        var index = line.startIndex
        while index < line.endIndex {
            let byte = line[index]
            if byte == quote {
                let start = index + 1
                index += 1
                while index < line.endIndex, line[index] != quote { index += line[index] == backslash ? 2 : 1 }
                guard index < line.endIndex else { return nil }
                let isKey = expectingKey
                expectingKey = false
                index += 1
                if isKey, depth == 1, line[start..<index - 1].elementsEqual(key), index < line.endIndex,
                    line[index] == UInt8(ascii: ":")
                {
                    return index + 1
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "{"): depth += 1; expectingKey = true
            case UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ","): expectingKey = true
            default: break
            }
            index += 1
        }
        return nil
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
