/// What a receiver recorded in an `Authentication-Results` field (RFC 8601) or an
/// `ARC-Authentication-Results` field (RFC 8617 §4.1.1, the same syntax after `i=N;`).
///
/// Read leniently, as receivers write them:
/// - Microsoft writes no authserv-id (`Authentication-Results: spf=pass (sender IP is …) …`);
/// - `compauth=pass reason=100` and `dmarc=bestguesspass` are read as any other method and result;
/// - `action=none` (a property without a `ptype.`) is kept with an empty ``Property/type``.
///
/// ```swift
/// let ar = AuthenticationResults(parsing: "mx.google.com; dkim=pass header.i=@example.com")
/// ar.results.first?.method   // "dkim"
/// ar.results.first?.property("header", "i")   // "@example.com"
/// ```
public struct AuthenticationResults: Sendable, Hashable, Codable {
    /// `authserv-id` (RFC 8601 §2.5): who did the checks; absent when the writer left it out.
    public var authservID: String?
    /// `authres-version` after the authserv-id, when given.
    public var version: String?
    /// `i=` of an ARC-Authentication-Results field.
    public var instance: Int?
    /// One entry per method (`spf`, `dkim`, `dmarc`, `arc`, …), in field order.
    public var results: [MethodResult]
    /// What could not be read (the rest of the field was still read).
    public var problems: [String]

    /// A method's result (RFC 8601 §2.2 `resinfo`).
    public struct MethodResult: Sendable, Hashable, Codable {
        /// The method, lower case: `spf`, `dkim`, `dmarc`, `arc`, `compauth`, `auth`, `iprev`.
        public var method: String
        /// `method/version`, when given.
        public var methodVersion: String?
        /// The result, lower case: `pass`, `fail`, `softfail`, `bestguesspass`, …
        public var result: String
        /// `reason=` (RFC 8601 §2.2 `reasonspec`).
        public var reason: String?
        /// The comment right after the result (`(sender IP is 192.0.2.1)`, `(p=NONE sp=NONE)`).
        public var comment: String?
        /// `ptype.property=value` pairs, in order.
        public var properties: [Property]

        /// The value of `type.name` (`header`, `d`), ignoring case; `nil` when absent.
        public func property(_ type: String, _ name: String) -> String? {
            properties.first { $0.type.lowercased() == type.lowercased() && $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// `ptype "." property "=" pvalue` (RFC 8601 §2.2); `type` is empty for Microsoft's bare
    /// `action=none`.
    public struct Property: Sendable, Hashable, Codable {
        public var type: String
        public var name: String
        public var value: String
    }

    /// Longest field value read; the rest is ignored (reported).
    public static let maximumLength = 65_536
    /// Method results read from one field.
    public static let maximumResults = 100

    /// Parses a field value. Never fails: what cannot be read is listed in ``problems``.
    ///
    /// - Parameter arc: read a leading `i=N;` (an ARC-Authentication-Results field).
    public init(parsing value: String, arc: Bool = false) {
        results = []
        problems = []
        var text = Substring(value)
        if value.utf8.count > Self.maximumLength {
            text = Substring(String(decoding: value.utf8.prefix(Self.maximumLength), as: UTF8.self))
            problems.append("the field is longer than \(Self.maximumLength) bytes: only its start is read")
        }
        var segments = Self.segments(text)
        if arc, let first = segments.first {
            let tokens = Self.tokens(first)
            if case .pair(let key, let value)? = tokens.first(where: { if case .comment = $0 { false } else { true } }),
               key.lowercased() == "i" {
                instance = Int(value)
                if instance == nil { problems.append("i=\(value) is not a number") }
                segments.removeFirst()
            } else {
                problems.append("no i= instance at the start of an ARC-Authentication-Results field")
            }
        }
        // The authserv-id: the first word of the first segment. Microsoft writes none (the
        // segment starts with a method); old Yahoo fields put "from=domain" after it, which is
        // not a method result (kept as a problem, not a result).
        if let first = segments.first {
            let tokens = Self.tokens(first).filter { if case .comment = $0 { false } else { true } }
            if case .word(let id)? = tokens.first {
                authservID = id
                if tokens.count > 1, case .word(let second) = tokens[1] { version = second }
                for case .pair(let name, let value) in tokens {
                    problems.append("\"\(name)=\(value.prefix(40))\" after the authserv-id is not a method result: ignored")
                }
                segments.removeFirst()
            } else if tokens.isEmpty {
                segments.removeFirst()
            }
        }
        for segment in segments {
            let tokens = Self.tokens(segment)
            if tokens.isEmpty { continue }
            if results.count >= Self.maximumResults {
                problems.append("more than \(Self.maximumResults) results: the rest are not read")
                break
            }
            if tokens.count == 1, case .word(let word) = tokens[0], word.lowercased() == "none" { continue }
            guard case .pair(let key, let resultValue) = tokens.first(where: { if case .comment = $0 { false } else { true } })
            else {
                problems.append("\"\(segment.trimmingCharacters(in: .whitespaces).prefix(60))\" is not method=result")
                continue
            }
            let methodParts = key.split(separator: "/", maxSplits: 1)
            var result = MethodResult(
                method: String(methodParts.first ?? "").lowercased(),
                methodVersion: methodParts.count > 1 ? String(methodParts[1]) : nil, result: resultValue.lowercased(),
                reason: nil, comment: nil, properties: [])
            var seenResult = false
            for token in tokens {
                switch token {
                case .comment(let comment):
                    if seenResult, result.comment == nil, result.properties.isEmpty { result.comment = comment }
                case .word(let word):
                    problems.append("\(result.method): \"\(word.prefix(40))\" is not name=value")
                case .pair(let name, let pairValue):
                    if !seenResult { seenResult = true; continue }
                    if name.lowercased() == "reason" {
                        result.reason = pairValue
                    } else if let dot = name.firstIndex(of: ".") {
                        result.properties.append(Property(
                            type: String(name[..<dot]), name: String(name[name.index(after: dot)...]), value: pairValue))
                    } else {
                        result.properties.append(Property(type: "", name: name, value: pairValue))
                    }
                }
            }
            results.append(result)
        }
    }

    /// The results of `method`, in field order.
    public func results(for method: String) -> [MethodResult] { results.filter { $0.method == method.lowercased() } }

    enum Token: Equatable {
        case word(String)
        case pair(String, String)
        case comment(String)
    }

    /// The `;`-separated parts, `;` inside quotes or comments not splitting.
    static func segments(_ text: Substring) -> [Substring] {
        var segments: [Substring] = []
        var start = text.startIndex
        var depth = 0
        var quoted = false
        var escaped = false
        for index in text.indices {
            let character = text[index]
            if escaped { escaped = false; continue }
            switch character {
            case "\\" where quoted || depth > 0: escaped = true
            case "\"" where depth == 0: quoted.toggle()
            case "(" where !quoted: depth += 1
            case ")" where !quoted: depth = max(0, depth - 1)
            case ";" where !quoted && depth == 0:
                segments.append(text[start..<index])
                start = text.index(after: index)
            default: break
            }
        }
        segments.append(text[start...])
        return segments
    }

    /// Words, `name=value` pairs and comments of one segment (CFWS between them ignored,
    /// RFC 8601 §2.2).
    static func tokens(_ segment: Substring) -> [Token] {
        var tokens: [Token] = []
        var index = segment.startIndex
        func skipSpace() {
            while index < segment.endIndex, segment[index].isWhitespace { index = segment.index(after: index) }
        }
        func readComment() -> String {
            // At "(": read to the matching ")".
            var depth = 0
            var text = ""
            while index < segment.endIndex {
                let character = segment[index]
                index = segment.index(after: index)
                if character == "\\", index < segment.endIndex {
                    text.append(segment[index])
                    index = segment.index(after: index)
                    continue
                }
                if character == "(" {
                    depth += 1
                    if depth == 1 { continue }
                } else if character == ")" {
                    depth -= 1
                    if depth == 0 { break }
                }
                text.append(character)
            }
            return text.trimmingCharacters(in: .whitespaces)
        }
        func readValue() -> String {
            skipSpace()
            while index < segment.endIndex, segment[index] == "(" {
                tokens.append(.comment(readComment()))
                skipSpace()
            }
            guard index < segment.endIndex else { return "" }
            if segment[index] == "\"" {
                index = segment.index(after: index)
                var text = ""
                while index < segment.endIndex, segment[index] != "\"" {
                    if segment[index] == "\\" { index = segment.index(after: index); if index == segment.endIndex { break } }
                    text.append(segment[index])
                    index = segment.index(after: index)
                }
                if index < segment.endIndex { index = segment.index(after: index) }
                return text
            }
            let start = index
            while index < segment.endIndex, !segment[index].isWhitespace, segment[index] != "(", segment[index] != "\"" {
                index = segment.index(after: index)
            }
            return String(segment[start..<index])
        }
        while true {
            skipSpace()
            guard index < segment.endIndex else { break }
            if segment[index] == "(" {
                tokens.append(.comment(readComment()))
                continue
            }
            let start = index
            while index < segment.endIndex, !segment[index].isWhitespace, segment[index] != "=", segment[index] != "(" {
                index = segment.index(after: index)
            }
            let word = String(segment[start..<index])
            // `name [CFWS] "=" [CFWS] value`
            var look = index
            while look < segment.endIndex, segment[look].isWhitespace { look = segment.index(after: look) }
            if look < segment.endIndex, segment[look] == "=" {
                index = segment.index(after: look)
                let value = readValue()
                tokens.append(.pair(word, value))
            } else if !word.isEmpty {
                tokens.append(.word(word))
            } else {
                // A lone "=" or quote: skip one character so the loop moves on.
                index = segment.index(after: index)
            }
        }
        return tokens
    }
}
