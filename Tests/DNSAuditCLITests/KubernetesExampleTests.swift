import DNSCore
import Foundation
import Testing
import TestSupport
import Yams

/// Examples/kubernetes/job.yaml, tested for what a cluster would rely on: the manifest parses, is
/// an Indexed Job whose shard count matches its completions, names only flags dnsaudit has, and
/// its Unbound configuration passes `unbound-checkconf`; its command line, run for every index
/// with a fake JOB_COMPLETION_INDEX against Unbound recursing to Knot (as the sidecar would), audits
/// every domain of the list exactly once, and a restarted pod adds nothing.
@Suite("Examples/kubernetes: the Indexed Job's contract")
struct KubernetesExampleTests {
    static let manifest = KnotServer.fixtures("../../Examples/kubernetes/job.yaml")

    struct Job {
        var shards: Int
        var completions: Int
        var parallelism: Int
        var script: String
        var unboundConfiguration: String
        var sidecarRestartPolicy: String?
    }

    static func load() throws -> Job {
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        var job: [String: Any]?
        var configMap: [String: Any]?
        for document in try Yams.load_all(yaml: text) {
            guard let object = document as? [String: Any] else { continue }
            if object["kind"] as? String == "Job" { job = object }
            if object["kind"] as? String == "ConfigMap" { configMap = object }
        }
        let spec = try #require(job?["spec"] as? [String: Any])
        #expect(spec["completionMode"] as? String == "Indexed")
        let pod = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        let container = try #require((pod["containers"] as? [[String: Any]])?.first { $0["name"] as? String == "dnsaudit" })
        let command = try #require(container["command"] as? [String])
        #expect(Array(command.prefix(2)) == ["/bin/sh", "-c"])
        let env = container["env"] as? [[String: Any]] ?? []
        let shards = try #require((env.first { $0["name"] as? String == "SHARDS" }?["value"] as? String).flatMap { Int($0) })
        let sidecar = (pod["initContainers"] as? [[String: Any]])?.first { $0["name"] as? String == "unbound" }
        return Job(
            shards: shards, completions: try #require(spec["completions"] as? Int), parallelism: try #require(spec["parallelism"] as? Int),
            script: try #require(command.last), unboundConfiguration: try #require((configMap?["data"] as? [String: Any])?["unbound.conf"] as? String),
            sidecarRestartPolicy: sidecar?["restartPolicy"] as? String)
    }

    @Test func theManifestIsAnIndexedJobThatNamesOnlyRealFlags() async throws {
        let job = try Self.load()
        #expect(job.completions == job.shards, "one pod per shard")
        #expect(job.parallelism <= job.completions)
        #expect(job.sidecarRestartPolicy == "Always", "a native sidecar, so the pod completes when the audit ends")
        let flags = Set(job.script.matches(of: /--[a-z][a-z-]*/).map { String($0.output) })
        #expect(flags.isSuperset(of: ["--shard", "--resume", "--exit-status", "--format", "--domains-file", "--no-probe"]), "--no-probe: the test must not leave loopback")
        let help = try await CLIRunner.run(["audit", "--help"])
        #expect(help.status == 0)
        for flag in flags { #expect(help.stdout.contains(flag), "\(flag) is not an option of dnsaudit audit") }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/unbound-checkconf"), "needs unbound (scripts/install-deps --test)"))
    func theSidecarsUnboundConfigurationIsValid() async throws {
        let job = try Self.load()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dnsaudit-k8s-\(UUID().uuidString.prefix(8)).conf").path
        try job.unboundConfiguration.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let check = try await ProcessRunner.run("/usr/sbin/unbound-checkconf", [file])
        #expect(check.status == 0, "\(check.stdoutText) \(check.stderrText)")
    }

    @Test(.enabled(if: KnotServer.knotd != nil && UnboundServer.unbound != nil, "needs Knot and Unbound (scripts/install-deps --test)"))
    func everyIndexRunTogetherAuditsTheListOnceAndARestartAddsNothing() async throws {
        let job = try Self.load()
        let corpus = KnotServer.fixtures("realworld")
        let data = try Data(contentsOf: URL(fileURLWithPath: corpus + "/expected.json"))
        let domains = ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["domains"] as? [[String: Any]] ?? [])
            .compactMap { $0["domain"] as? String }
        #expect(domains.count >= 30)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dnsaudit-k8s-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for sub in ["data", "out"] { try FileManager.default.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true) }
        try domains.joined(separator: "\n").write(toFile: directory + "/data/domains.txt", atomically: true, encoding: .utf8)

        try await KnotServer.with(zoneDirectory: corpus + "/zones") { knot in
            try await UnboundServer.with(recursingTo: knot, probe: try DomainName(domains[0])) { unbound in
                // The pod's paths and resolver, moved to this machine's temporary directory and ports.
                let script = job.script.replacingOccurrences(of: "/data/", with: directory + "/data/")
                    .replacingOccurrences(of: "/out/", with: directory + "/out/")
                    .replacingOccurrences(of: "127.0.0.1:53", with: "127.0.0.1:\(unbound.port)")
                let bin = URL(fileURLWithPath: CLIRunner.executable).deletingLastPathComponent().path
                func runPod(_ index: Int) async throws -> ProcessRunner.Output {
                    try await ProcessRunner.run(
                        "/bin/sh", ["-c", script],
                        environment: [
                            "JOB_COMPLETION_INDEX": "\(index)", "SHARDS": "\(job.shards)", "PATH": bin + ":/usr/bin:/bin", "NO_COLOR": "1",
                        ], timeout: 120)
                }
                for index in 0..<job.shards {
                    let pod = try await runPod(index)
                    #expect(pod.status == 0, "pod \(index): \(pod.stderrText)")
                }
                var seen: [String] = []
                for index in 0..<job.shards {
                    let path = directory + "/out/shard-\(index).jsonl"
                    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                    for line in text.split(separator: "\n") {
                        let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                        seen.append(record?["domain"] as? String ?? "?")
                        #expect(record?["status"] as? String != "incomplete", "\(record?["domain"] ?? "?") is incomplete through Unbound")
                    }
                }
                #expect(seen.sorted() == domains.sorted(), "every domain exactly once across \(job.shards) shards")
                // A pod restarted after finishing (or after a crash) resumes: nothing is audited twice.
                func size(_ index: Int) -> Int {
                    ((try? FileManager.default.attributesOfItem(atPath: directory + "/out/shard-\(index).jsonl"))?[.size] as? Int) ?? 0
                }
                let busiest = (0..<job.shards).max { size($0) < size($1) } ?? 0
                let before = try String(contentsOfFile: directory + "/out/shard-\(busiest).jsonl", encoding: .utf8)
                let again = try await runPod(busiest)
                #expect(again.status == 0, "\(again.stderrText)")
                let after = try String(contentsOfFile: directory + "/out/shard-\(busiest).jsonl", encoding: .utf8)
                #expect(after == before, "a resumed pod with nothing left adds nothing")
            }
        }
    }

    /// The README's recipe for one big machine (xargs, one shard per process), run as written in
    /// a temporary directory, with the audit answered from the corpus's zone files.
    @Test func theReadmesOneMachineRecipeAuditsTheListOnce() async throws {
        let readme = try String(contentsOfFile: KnotServer.fixtures("../../README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "**One big machine**").map { readme[$0.upperBound...] })
        let start = try #require(section.range(of: "```sh\n"))
        let end = try #require(section[start.upperBound...].range(of: "```"))
        let recipe = String(section[start.upperBound..<end.lowerBound])
        #expect(recipe.contains("xargs -P") && recipe.contains("--shard"))
        let corpus = KnotServer.fixtures("realworld")
        let data = try Data(contentsOf: URL(fileURLWithPath: corpus + "/expected.json"))
        let domains = ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["domains"] as? [[String: Any]] ?? [])
            .compactMap { $0["domain"] as? String }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dnsaudit-xargs-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try domains.joined(separator: "\n").write(toFile: directory + "/domains.txt", atomically: true, encoding: .utf8)
        let offline = recipe.replacingOccurrences(of: "dnsaudit --domains-file", with: "dnsaudit --zone \(corpus)/zones --offline --domains-file")
        let bin = URL(fileURLWithPath: CLIRunner.executable).deletingLastPathComponent().path
        let run = try await ProcessRunner.run(
            "/bin/sh", ["-c", offline], environment: ["PATH": bin + ":/usr/bin:/bin", "NO_COLOR": "1"], currentDirectory: directory)
        #expect(run.status == 0, "\(run.stderrText)")
        let results = try String(contentsOfFile: directory + "/results.jsonl", encoding: .utf8)
        let seen = results.split(separator: "\n").compactMap { line in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["domain"] as? String
        }
        #expect(seen.sorted() == domains.sorted())
    }
}
