/// How far apart two short words are, for "did you mean" hints: the SPF lint's misspelt
/// mechanisms and the CLI's mistyped commands.
package enum EditDistance {
    /// Words are compared on at most this many bytes (hints are for short names).
    package static let maximumLength = 64

    /// The optimal-string-alignment distance between `a` and `b` over their UTF-8 bytes: the
    /// fewest insertions, deletions, substitutions and swaps of two neighbours ("sfp" → "spf" is
    /// one edit) that turn one into the other.
    package static func between(_ a: some StringProtocol, _ b: some StringProtocol) -> Int {
        let a = Array(a.utf8.prefix(maximumLength))
        let b = Array(b.utf8.prefix(maximumLength))
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var rows = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { rows[i][0] = i }
        for j in 0...b.count { rows[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                var best = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { best = min(best, rows[i - 2][j - 2] + 1) }
                rows[i][j] = best
            }
        }
        return rows[a.count][b.count]
    }
}
