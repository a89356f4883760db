import Foundation
import MessageAnalysis
import SMTP
import Testing
import TestSupport

/// The sisimai subset (Tests/Fixtures/bounces/sisimai, BSD-2-Clause): every bounce is read and its
/// recipients' status, action and hard/soft compared with what sisimai documents for the file
/// (p5-sisimai's t/ tables; the action from sisimai 4.25 itself, see PROVENANCE.md).
@Suite struct SisimaiCorpusTests {
    struct Expected: Decodable {
        var status: String
        var replyCode: String
        var reason: String
        var hardbounce: Bool
        var action: String?
    }

    static let directory = KnotServer.fixtures("bounces/sisimai")

    /// Where dnsaudit reads a bounce differently from sisimai on purpose: what dnsaudit reports
    /// instead (asserted, so a change is noticed), and why.
    struct Difference {
        var status: String
        var action: String
        var hard: Bool
        var why: String
    }

    static let differences: [String: Difference] = [
        "lhost-exim-06.eml#0": Difference(
            status: "5.4.7", action: "failed", hard: false,
            why: "Exim writes \"This is a permanent error … retry timeout exceeded\": it gave up, so the action is failed (RFC 3464 §2.3.3) and the class permanent; sisimai 4.25 reports delayed and its pseudo code 4.0.947."),
        "lhost-postfix-07.eml#0": Difference(
            status: "5.1.1", action: "failed", hard: true,
            why: "The server said \"550 … User unknown\" and the bounce names no refused command; sisimai guesses a content filter (filtered), dnsaudit takes the server's words (status inferred as x.1.1, labelled inferred)."),
        "rfc3464-01.eml#0": Difference(
            status: "5.1.1", action: "failed", hard: true,
            why: "The DSN fields say Status 5.1.1 and \"User Unknown\"; only the free-text part says \"Not enough disk space\", which sisimai prefers (mailboxfull). dnsaudit trusts the RFC 3464 fields."),
    ]

    static func expectations() throws -> [String: [Expected]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/expected.json"))
        return try JSONDecoder().decode([String: [Expected]].self, from: data)
    }

    static let files: [String] = ((try? expectations()) ?? [:]).keys.sorted()

    @Test func theCorpusHasItsExpectations() throws {
        let expected = try Self.expectations()
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: Self.directory).filter { $0.hasSuffix(".eml") }
        #expect(Set(onDisk) == Set(expected.keys))
        #expect(expected.count >= 30)
    }

    @Test(arguments: files)
    func readsTheBounceAsSisimaiDocumentsIt(_ file: String) async throws {
        let expected = try #require(try Self.expectations()[file])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.directory + "/" + file))
        let report = try await BounceAnalyzer(headers: HeaderAnalyzer(resolver: nil)).analyze(Array(bytes))
        #expect(report.recipients.count == expected.count, "\(file): recipients \(report.recipients.map(\.recipient))")
        for (index, want) in expected.enumerated() {
            guard let got = report.recipients[safe: index] else { continue }
            if let difference = Self.differences["\(file)#\(index)"] {
                #expect(got.status.map(String.init(describing:)) == difference.status, "\(file) #\(index): \(difference.why)")
                #expect(got.action?.rawValue == difference.action, "\(file) #\(index): \(difference.why)")
                #expect((got.classification.kind == .hard) == difference.hard, "\(file) #\(index): \(difference.why)")
                continue
            }
            let wantCode = try #require(EnhancedStatusCode(want.status))
            // sisimai's own pseudo codes (detail 900 and up) are not in the message: compare the class.
            if wantCode.detail >= 900 {
                #expect(got.status?.statusClass == wantCode.statusClass, "\(file) #\(index): status \(got.status.map(String.init(describing:)) ?? "-") vs \(want.status)")
            } else {
                #expect(got.status == wantCode, "\(file) #\(index): status \(got.status.map(String.init(describing:)) ?? "-") vs \(want.status) (\(got.diagnostic ?? ""))")
            }
            if let action = want.action {
                #expect(got.action?.rawValue == action, "\(file) #\(index): action \(got.action?.rawValue ?? "-") vs \(action)")
            }
            #expect((got.classification.kind == .hard) == want.hardbounce,
                    "\(file) #\(index): \(got.classification.kind) vs sisimai \(want.reason) (\(got.diagnostic ?? ""))")
            if let code = Int(want.replyCode), got.replyCode != nil {
                #expect(got.replyCode == code, "\(file) #\(index): reply \(got.replyCode ?? 0) vs \(code)")
            }
            #expect(!got.classification.fix.isEmpty)
            if got.classification.kind == .hard { #expect(got.classification.fix.contains("Remove the address") || got.classification.explanation.match == .provider || got.classification.explanation.match == .generic) }
        }
    }
}

/// sisimai itself (libsisimai-perl 4.25) on the same files: the actions recorded in
/// expected.json are what it reports, and ours agree with them (scripts/install-deps --test
/// installs it; without it this fails, it does not pass silently).
@Suite struct SisimaiLiveTests {
    struct Row: Decodable {
        var recipient: String
        var action: String
        var status: String
    }

    @Test func sisimaiReadsTheCorpusAsRecorded() async throws {
        let files = SisimaiCorpusTests.files.map { SisimaiCorpusTests.directory + "/" + $0 }
        let output = try await ProcessRunner.run("/usr/bin/perl", [KnotServer.fixtures("tools/sisimai-read.pl")] + files)
        try #require(output.status == 0, "sisimai failed (apt-get install libsisimai-perl; scripts/install-deps --test): \(output.stderrText)")
        let live = try JSONDecoder().decode([String: [Row]].self, from: output.stdout)
        let expected = try SisimaiCorpusTests.expectations()
        for (file, rows) in expected {
            let actions = (live[file] ?? []).map { $0.action.isEmpty ? nil : $0.action }
            #expect(actions == rows.map(\.action), "\(file): sisimai now says \(actions)")
            // Ours agree with sisimai's live action wherever the corpus test does not list a difference.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: SisimaiCorpusTests.directory + "/" + file))
            let report = try BounceAnalyzer.parse(Array(bytes))
            for (index, row) in (live[file] ?? []).enumerated() where !row.action.isEmpty {
                guard SisimaiCorpusTests.differences["\(file)#\(index)"] == nil else { continue }
                #expect(report.recipients[safe: index]?.action?.rawValue == row.action, "\(file) #\(index)")
            }
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { index >= 0 && index < count ? self[index] : nil }
}
