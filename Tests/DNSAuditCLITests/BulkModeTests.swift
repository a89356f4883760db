import DNSAudit
import DNSCore
import Foundation
import Testing
import TestSupport

/// The bulk mode's contract with batch engines (issue 19), on the built binary: sharding, resuming
/// a killed run, the operational exit status, error records, completion order, selector sets and
/// the second pass. Audits read the provider-shaped corpus of Tests/Fixtures/realworld.
@Suite("Bulk mode: shards, resume, exit status, error records")
struct BulkModeTests {
    static let zones = KnotServer.fixtures("realworld") + "/zones"
    static let offline = ["--zone", zones, "--offline"]

    static func corpusDomains() throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: KnotServer.fixtures("realworld") + "/expected.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let domains = (object?["domains"] as? [[String: Any]] ?? []).compactMap { $0["domain"] as? String }
        #expect(domains.count >= 30)
        return domains
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dnsaudit-bulk-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The JSON Lines of `text`, each parsed; a line that is not a JSON object fails the test.
    static func records(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line.prefix(120))", sourceLocation: sourceLocation)
            return object
        }
    }

    /// A record without what differs between two runs of the same audit (when, how long, how
    /// many questions the shared cache saved), as canonical JSON.
    static func stable(_ record: [String: Any]) throws -> String {
        var record = record
        for key in ["timestamp", "durationMs", "questions", "cacheHits"] { record[key] = nil }
        return String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
    }

    static func byDomain(_ records: [[String: Any]]) throws -> [String: String] {
        var result: [String: String] = [:]
        for record in records {
            let domain = try #require(record["domain"] as? String)
            #expect(result[domain] == nil, "\(domain) reported twice")
            result[domain] = try stable(record)
        }
        return result
    }

    @Test func theShardsTogetherGiveTheUnshardedOutput() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A bad line and a duplicate too: each shard sees the same list.
        let list = try Self.corpusDomains() + ["not..a.domain", "ACME-CORP.com."]
        try list.joined(separator: "\n").write(toFile: directory + "/list.txt", atomically: true, encoding: .utf8)
        let common = ["--domains-file", directory + "/list.txt", "--format", "jsonl", "--exit-status", "operational"] + Self.offline
        let whole = try await CLIRunner.run(common)
        #expect(whole.status == 0, "\(whole.stderr)")
        let expected = try Self.byDomain(Self.records(whole.stdout))
        #expect(expected.count == list.count - 1, "one record a distinct line, the bad one included")
        #expect(expected["not..a.domain"]?.contains("\"status\":\"error\"") == true)

        var union: [String: String] = [:]
        var sizes: [Int] = []
        for index in 0..<3 {
            let part = try await CLIRunner.run(common + ["--shard", "\(index)/3", "--unordered"])
            #expect(part.status == 0, "\(part.stderr)")
            let records = try Self.byDomain(Self.records(part.stdout))
            sizes.append(records.count)
            for (domain, record) in records {
                #expect(union[domain] == nil, "\(domain) is in two shards")
                union[domain] = record
            }
        }
        #expect(sizes.allSatisfy { $0 > 0 }, "every shard gets some of \(list.count) domains: \(sizes)")
        #expect(union.keys.sorted() == expected.keys.sorted())
        for (domain, record) in expected { #expect(union[domain] == record, "\(domain) differs between the runs") }
    }

    @Test func shardIndexesAreCheckedAndTheHashIsTheDocumentedOne() async throws {
        for bad in ["3/3", "-1/2", "1", "a/b", "0/0"] {
            let result = try await CLIRunner.run(["acme-corp.com", "--shard", bad] + Self.offline)
            #expect(result.status == 64, "--shard \(bad)")
            #expect(result.stderr.contains("--shard"), "\(result.stderr)")
        }
        // FNV-1a 64 of "a" is the published test vector 0xaf63dc4c8601ec8c.
        #expect(Shard.hash("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(Shard.hash(try DomainName("Example.COM.")) == Shard.hash("example.com"))
    }

    /// The first run reads its list from a pipe and is killed with SIGKILL after some reports;
    /// as if the kill came mid-write, half a record is appended. The resumed run appends to the
    /// same file (`--resume out.jsonl >> out.jsonl`), cuts the half record, and the file then holds
    /// every domain exactly once.
    @Test func aKilledRunResumedGivesEveryDomainExactlyOnce() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let domains = try Self.corpusDomains()
        try domains.joined(separator: "\n").write(toFile: directory + "/list.txt", atomically: true, encoding: .utf8)
        let output = directory + "/out.jsonl"
        #expect(FileManager.default.createFile(atPath: output, contents: nil))

        let first = Process()
        first.executableURL = URL(fileURLWithPath: CLIRunner.executable)
        first.arguments = ["--domains-file", "-", "--format", "jsonl", "--concurrency", "2"] + Self.offline
        let input = Pipe()
        first.standardInput = input
        let file = try #require(FileHandle(forWritingAtPath: output))
        first.standardOutput = file
        first.standardError = FileHandle.nullDevice
        try first.run()
        // Ten domains, and the pipe stays open: the run waits for more.
        input.fileHandleForWriting.write(Data(domains.prefix(10).joined(separator: "\n").appending("\n").utf8))
        var written = 0
        for _ in 0..<600 where written < 5 {
            try await Task.sleep(for: .milliseconds(50))
            written = ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").filter { $0 == "\n" }.count
        }
        // Some reports are out before the kill. (Not all ten: a run blocked reading the pipe still
        // holds the reports finished behind a slower one, in input order.)
        #expect(written >= 1, "the first run wrote \(written) of 10 records while waiting for input")
        kill(first.processIdentifier, SIGKILL)
        for _ in 0..<200 where first.isRunning { try await Task.sleep(for: .milliseconds(25)) }
        #expect(first.terminationReason == .uncaughtSignal)
        try? file.close()
        let append = try #require(FileHandle(forWritingAtPath: output))
        try append.seekToEnd()
        append.write(Data("{\"areas\":[{\"area\":\"spf\",\"findi".utf8))
        try append.close()

        let resumed = try await ProcessRunner.run(
            "/bin/sh",
            ["-c", "exec \"$0\" --domains-file \"$1\" --format jsonl --resume \"$2\" --zone \"$3\" --offline >> \"$2\"",
             CLIRunner.executable, directory + "/list.txt", output, Self.zones])
        #expect(resumed.status == 0 || resumed.status == 1, "\(resumed.stderrText)")
        #expect(resumed.stderrText.contains("removed an unfinished last line"), "\(resumed.stderrText)")
        let text = try String(contentsOfFile: output, encoding: .utf8)
        let records = Self.records(text)
        let reported = records.compactMap { $0["domain"] as? String }
        #expect(reported.sorted() == domains.sorted(), "every domain exactly once")
        #expect(records.allSatisfy { $0["schemaVersion"] as? Int == AuditReport.currentSchemaVersion })
    }

    @Test func operationalExitStatusFailsOnlyForUsageAndADeadResolver() async throws {
        let zones = KnotServer.fixtures("../../Examples/zones")
        let legacy = ["legacy.example", "--zone", zones, "--offline"]
        #expect(try await CLIRunner.run(legacy).status == 1)
        #expect(try await CLIRunner.run(legacy + ["--exit-status", "operational"]).status == 0)
        #expect(try await CLIRunner.run(legacy + ["--exit-status", "sometimes"]).status == 64)
        // A skipped line makes the run incomplete (2), unless operational.
        let list = try Self.temporaryDirectory() + "/list.txt"
        try "shop.example\nbad..line\n".write(toFile: list, atomically: true, encoding: .utf8)
        let skipped = ["--domains-file", list, "--zone", zones, "--offline"]
        #expect(try await CLIRunner.run(skipped).status == 2)
        #expect(try await CLIRunner.run(skipped + ["--exit-status", "operational"]).status == 0)
        // Nobody listening: exit 2 in both modes, one line on stderr.
        let silent = try SilentServer()
        let dead = try await CLIRunner.run(
            ["shop.example", "--nameserver", "127.0.0.1:\(silent.port)", "--timeout", "0.3", "--attempts", "1", "--exit-status", "operational"])
        #expect(dead.status == 2)
        #expect(dead.stderr.contains("no nameserver answered"), "\(dead.stderr)")
    }

    @Test func badLinesBecomeErrorRecordsAndTheJSONArrayStaysValid() async throws {
        let zones = KnotServer.fixtures("../../Examples/zones")
        let list = try Self.temporaryDirectory() + "/list.txt"
        try "\u{FEFF}shop.example\r\nveryfy\r\nlegacy.example # old\r\n\u{FF}\u{FE}bad\r\n".write(toFile: list, atomically: true, encoding: .utf8)
        let common = ["--domains-file", list, "--zone", zones, "--offline"]
        let jsonl = try await CLIRunner.run(common + ["--format", "jsonl"])
        let records = Self.records(jsonl.stdout)
        #expect(records.map { $0["domain"] as? String ?? "?" } == ["shop.example", "veryfy", "legacy.example", "ÿþbad"])
        let error = try #require(records[1]["error"] as? [String: Any])
        #expect(records[1]["status"] as? String == "error")
        #expect(error["line"] as? Int == 2)
        #expect((error["message"] as? String)?.contains("did you mean") == true)
        #expect(jsonl.stderr.contains("line 2"), "\(jsonl.stderr)")

        let json = try await CLIRunner.run(common + ["--format", "json"])
        let array = try #require(try JSONSerialization.jsonObject(with: Data(json.stdoutBytes)) as? [[String: Any]])
        #expect(array.count == 4)
        #expect(array.allSatisfy { $0["schemaVersion"] as? Int == AuditReport.currentSchemaVersion })

        let text = try await CLIRunner.run(common)
        #expect(!text.stdout.contains("veryfy"), "a bad line goes to stderr only in text")
        #expect(text.stderr.contains("line 2"))
    }

    @Test func unorderedWritesTheSameReports() async throws {
        let domains = Array(try Self.corpusDomains().prefix(12))
        let ordered = try await CLIRunner.run(domains + ["--format", "jsonl"] + Self.offline)
        let unordered = try await CLIRunner.run(domains + ["--format", "jsonl", "--unordered", "--concurrency", "4"] + Self.offline)
        let a = try Self.byDomain(Self.records(ordered.stdout))
        let b = try Self.byDomain(Self.records(unordered.stdout))
        #expect(Self.records(ordered.stdout).compactMap { $0["domain"] as? String } == domains, "input order by default")
        #expect(a == b)
    }

    /// shop.example (Examples/zones) publishes keys at `dkim` and `mail`, both in the minimal set;
    /// a list file of `mail` alone finds only that one; minimal asks far fewer questions.
    @Test func selectorSetsChangeWhatIsProbedAndSayWhich() async throws {
        let zones = KnotServer.fixtures("../../Examples/zones")
        let base = ["shop.example", "--zone", zones, "--offline", "--format", "jsonl"]
        func dkim(_ extra: [String]) async throws -> (records: [String], questions: Int) {
            let result = try await CLIRunner.run(base + extra)
            let record = try #require(Self.records(result.stdout).first)
            let areas = record["areas"] as? [[String: Any]] ?? []
            let area = areas.first { $0["area"] as? String == "dkim" }
            return (area?["records"] as? [String] ?? [], record["questions"] as? Int ?? 0)
        }
        let common = try await dkim([])
        let minimal = try await dkim(["--selectors", "minimal"])
        #expect(common.records.contains { $0.hasPrefix("mail._domainkey") && $0.hasSuffix("(common selector)") })
        #expect(minimal.records.contains { $0.hasPrefix("mail._domainkey") && $0.hasSuffix("(minimal selector set)") })
        #expect(minimal.records.contains { $0.hasPrefix("dkim._domainkey") && $0.hasSuffix("(minimal selector set)") })
        #expect(minimal.questions < common.questions - 15, "minimal \(minimal.questions), common \(common.questions)")

        let file = try Self.temporaryDirectory() + "/selectors.txt"
        try "# ours\nmail\n".write(toFile: file, atomically: true, encoding: .utf8)
        let listed = try await dkim(["--selectors", file])
        #expect(listed.records.contains { $0.hasPrefix("mail._domainkey") && $0.hasSuffix("(selector list \(file))") })
        #expect(!listed.records.contains { $0.hasPrefix("dkim._domainkey") })
        let missing = try await CLIRunner.run(base + ["--selectors", "/nonexistent/selectors"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("not minimal or common"), "\(missing.stderr)")
    }

    /// Under --selectors minimal a provider's own selectors are still tried when its MX or SPF
    /// include is there: a Google Workspace domain's `google` key is found.
    @Test func minimalStillTriesTheSelectorsOfTheProvidersSeen() async throws {
        let result = try await CLIRunner.run(["acme-corp.com", "--selectors", "minimal", "--format", "jsonl"] + Self.offline)
        let record = try #require(Self.records(result.stdout).first)
        let dkim = (record["areas"] as? [[String: Any]] ?? []).first { $0["area"] as? String == "dkim" }
        let lines = dkim?["records"] as? [String] ?? []
        #expect(lines.contains { $0.hasPrefix("google._domainkey.acme-corp.com") && $0.hasSuffix("(Google Workspace)") }, "\(lines)")
    }

    /// A domain whose zone answers SERVFAIL is incomplete in the first pass, audited again at the
    /// end, and reported once, last; `--no-retry` skips the second pass.
    @Test(.enabled(if: KnotServer.knotd != nil, "needs Knot (scripts/install-deps --test installs it)"))
    func incompleteDomainsGetASecondPass() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones, brokenZones: ["broken.test"]) { server in
            let common = ["broken.test", "acme-corp.com", "--nameserver", "127.0.0.1:\(server.port)", "--format", "jsonl", "--no-probe"]
            let result = try await CLIRunner.run(common)
            #expect(result.status == 2)
            #expect(Self.records(result.stdout).compactMap { $0["domain"] as? String } == ["acme-corp.com", "broken.test"])
            #expect(result.stderr.contains("second pass: 1 domain left incomplete"), "\(result.stderr)")
            #expect(result.stderr.contains("0 recovered"), "\(result.stderr)")
            let once = try await CLIRunner.run(common + ["--no-retry"])
            #expect(Self.records(once.stdout).compactMap { $0["domain"] as? String } == ["broken.test", "acme-corp.com"])
            #expect(!once.stderr.contains("second pass"))
        }
    }
}
