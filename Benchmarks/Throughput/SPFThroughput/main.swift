import DNSCore
import DNSLDNS
import Foundation
import CheckHostPass

// check_host() over a list of domains against one nameserver, as SPFBenchmarks' "generated
// domains" benchmarks do (a cold cache each pass, the client 192.0.2.99 matching nothing), but in
// a plain process: no malloc interposer.
//
//   SPFThroughput NAMESERVER DOMAINS_FILE CONCURRENCY [PASSES] [--no-trace]
//
// --no-trace turns SPFEvaluator.recordsTrace off (results only, as pyspf computes them).
// Prints one line per pass: "<concurrency> <domains per second>".
let noTrace = CommandLine.arguments.contains("--no-trace")
let arguments = CommandLine.arguments.filter { $0 != "--no-trace" }
guard arguments.count >= 4, let server = Nameserver(arguments[1]), let concurrency = Int(arguments[3]), concurrency > 0,
    let list = try? String(contentsOfFile: arguments[2], encoding: .utf8), let client = IPAddress("192.0.2.99")
else {
    FileHandle.standardError.write(Data("usage: SPFThroughput NAMESERVER DOMAINS_FILE CONCURRENCY [PASSES] [--no-trace]\n".utf8))
    exit(64)
}
let passes = arguments.count > 4 ? max(1, Int(arguments[4]) ?? 5) : 5
let domains = list.split(separator: "\n").map(String.init)
for _ in 0..<passes {
    let started = ContinuousClock.now
    await checkHostPass(domains, server: server, client: client, concurrency: concurrency, recordsTrace: !noTrace)
    let elapsed = ContinuousClock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print(concurrency, String(format: "%.1f", Double(domains.count) / seconds))
}
