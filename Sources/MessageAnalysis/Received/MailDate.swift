import Foundation

/// Reads the dates that mail writes: RFC 5322 §3.3 `date-time`, leniently as real servers write
/// them (RFC 5322 §4.3 obsolete zones, missing day names, fractional seconds, a comment or junk
/// after the zone, `UTC`), and ISO 8601 as some relays do.
public enum MailDate {
    /// What was read, and what in it deviated from RFC 5322.
    public struct Reading: Sendable, Hashable {
        public var date: Date
        /// `12:00:01.123`: seconds with a fraction (RFC 5322 has none).
        public var fractionalSeconds: Bool
        /// Something after the zone other than a comment (`(PDT)` is allowed).
        public var trailingText: Bool
        /// No zone: read as UTC.
        public var missingZone: Bool
        /// A comment follows the date (`(PDT)`, `(envelope-from …)`): allowed, and skipped.
        public var commentAfter: Bool = false
    }

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    /// RFC 5322 §4.3 obsolete zones, in minutes east of UTC.
    static let zones: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0, "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420,
        "mdt": -360, "pst": -480, "pdt": -420, "cet": 60, "cest": 120, "jst": 540, "bst": 60,
    ]

    /// The date in `text`, or `nil` when none can be read.
    public static func parse(_ text: some StringProtocol) -> Reading? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let iso = parseISO(trimmed) { return iso }
        // Tokens: words and numbers, with ',' and ':' kept apart.
        var tokens: [Substring] = []
        var rest = Substring(trimmed)
        var commentAfter = false
        while let first = rest.first {
            if first == "(" {
                // A comment: skip it to its end.
                var depth = 0
                var end = rest.startIndex
                for index in rest.indices {
                    if rest[index] == "(" { depth += 1 } else if rest[index] == ")" {
                        depth -= 1
                        if depth == 0 { end = index; break }
                    }
                    end = index
                }
                rest = rest[rest.index(after: end)...]
                if !tokens.isEmpty { commentAfter = true }
                continue
            }
            if first == " " || first == "\t" || first == "," || first == "\r" || first == "\n" {
                rest = rest.dropFirst()
                continue
            }
            let end = rest.firstIndex { $0 == " " || $0 == "\t" || $0 == "," || $0 == "(" } ?? rest.endIndex
            tokens.append(rest[..<end])
            rest = rest[end...]
        }
        var index = 0
        if index < tokens.count, days.contains(where: { tokens[index].lowercased().hasPrefix($0) }), Int(tokens[index]) == nil {
            index += 1
        }
        guard index + 3 < tokens.count || index + 3 == tokens.count else { return nil }
        // day month year, or (asctime-like) month day … year
        var day: Int?
        var month: Int?
        if let d = Int(tokens[safe: index] ?? ""), let m = monthNumber(tokens[safe: index + 1]) {
            day = d
            month = m
        } else if let m = monthNumber(tokens[safe: index]), let d = Int(tokens[safe: index + 1] ?? "") {
            day = d
            month = m
        }
        guard let day, let month, (1...31).contains(day) else { return nil }
        index += 2
        var year: Int?
        var time: Substring?
        // RFC order: year then time; asctime order: time then year.
        if let y = Int(tokens[safe: index] ?? "") {
            year = y
            time = tokens[safe: index + 1]
            index += 2
        } else if let t = tokens[safe: index], t.contains(":"), let y = Int(tokens[safe: index + 1] ?? "") {
            time = t
            year = y
            index += 2
        }
        guard var year, let time else { return nil }
        if year < 50 { year += 2000 } else if year < 1000 { year += 1900 }
        let timeParts = time.split(separator: ":", omittingEmptySubsequences: false)
        guard timeParts.count == 2 || timeParts.count == 3, let hour = Int(timeParts[0]), let minute = Int(timeParts[1]),
              (0...23).contains(hour), (0...59).contains(minute)
        else { return nil }
        var seconds = 0.0
        var fractional = false
        if timeParts.count == 3 {
            guard let value = Double(timeParts[2]), value >= 0, value < 61 else { return nil }
            seconds = value
            fractional = timeParts[2].contains(".")
        }
        var offsetMinutes = 0
        var missingZone = true
        if let zone = tokens[safe: index] {
            if let sign = zone.first, sign == "+" || sign == "-", zone.count == 5, let value = Int(zone.dropFirst()) {
                offsetMinutes = (value / 100) * 60 + value % 100
                if sign == "-" { offsetMinutes = -offsetMinutes }
                missingZone = false
                index += 1
            } else if let named = zones[zone.lowercased()] {
                offsetMinutes = named
                missingZone = false
                index += 1
            }
        }
        let trailing = index < tokens.count
        guard let base = utc(year, month, day, hour, minute) else { return nil }
        let date = base.addingTimeInterval(seconds - Double(offsetMinutes * 60))
        return Reading(
            date: date, fractionalSeconds: fractional, trailingText: trailing, missingZone: missingZone,
            commentAfter: commentAfter)
    }

    /// `2024-01-05T10:00:00.123Z`, `2024-01-05 10:00:00 +0000`.
    static func parseISO(_ text: String) -> Reading? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
              let year = Int(String(decoding: bytes[0..<4], as: UTF8.self)),
              let month = Int(String(decoding: bytes[5..<7], as: UTF8.self)),
              let day = Int(String(decoding: bytes[8..<10], as: UTF8.self)),
              let hour = Int(String(decoding: bytes[11..<13], as: UTF8.self)),
              let minute = Int(String(decoding: bytes[14..<16], as: UTF8.self))
        else { return nil }
        var index = 16
        var seconds = 0.0
        var fractional = false
        if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
            var end = index + 1
            while end < bytes.count, (bytes[end] >= 0x30 && bytes[end] <= 0x39) || bytes[end] == UInt8(ascii: ".") { end += 1 }
            seconds = Double(String(decoding: bytes[(index + 1)..<end], as: UTF8.self)) ?? 0
            fractional = bytes[(index + 1)..<end].contains(UInt8(ascii: "."))
            index = end
        }
        // The zone is the next word (Go writes "+0000 UTC m=+1.234" after it: trailing text).
        let rest = String(decoding: bytes[index...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        let restWords = rest.split(separator: " ", maxSplits: 1)
        let zone = restWords.first.map(String.init) ?? ""
        let trailing = restWords.count > 1
        var offset = 0
        var missingZone = false
        if zone.isEmpty { missingZone = true } else if zone == "Z" || zone == "z" || zone.uppercased() == "UTC" { offset = 0 } else {
            let digits = zone.dropFirst().filter { $0 != ":" }
            guard let sign = zone.first, sign == "+" || sign == "-", digits.count == 4, let value = Int(digits) else { return nil }
            offset = (value / 100) * 60 + value % 100
            if sign == "-" { offset = -offset }
        }
        guard (1...12).contains(month), (1...31).contains(day), let base = utc(year, month, day, hour, minute) else { return nil }
        return Reading(
            date: base.addingTimeInterval(seconds - Double(offset * 60)), fractionalSeconds: fractional,
            trailingText: trailing, missingZone: missingZone)
    }

    /// The instant of a UTC calendar date and time (whole minutes).
    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int) -> Date? {
        var components = DateComponents()
        components.calendar = Calendar(identifier: .gregorian)
        components.timeZone = TimeZone(identifier: "UTC")
        (components.year, components.month, components.day) = (year, month, day)
        (components.hour, components.minute, components.second) = (hour, minute, 0)
        return components.date
    }

    static func monthNumber(_ token: Substring?) -> Int? {
        guard let token, token.count >= 3 else { return nil }
        let lowered = token.prefix(3).lowercased()
        return months.firstIndex(of: lowered).map { $0 + 1 }
    }

    /// Where a date starts in `text` (a day name, or a day number followed by a month name), for a
    /// Received field whose `;` before the date is missing.
    static func start(in text: String) -> String.Index? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        for (position, word) in words.enumerated() {
            // ISO 8601 (Go's time.Time as SendGrid's filters write it): 2024-04-16 15:30:12.1 +0000 UTC
            let bytes = Array(word.utf8)
            if bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), Int(word.prefix(4)) != nil,
               position + 1 < words.count, words[position + 1].contains(":") {
                return word.startIndex
            }
            let lowered = word.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ","))
            if days.contains(lowered), position + 2 < words.count, Int(words[position + 1]) != nil,
               monthNumber(words[position + 2]) != nil {
                return word.startIndex
            }
            if Int(word) != nil, word.count <= 2, position + 2 < words.count, monthNumber(words[position + 1]) != nil,
               Int(words[position + 2]) != nil, months.contains(words[position + 1].prefix(3).lowercased()) {
                return word.startIndex
            }
        }
        return nil
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { index >= 0 && index < count ? self[index] : nil }
}
