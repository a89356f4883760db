// swift-tools-version: 6.1
//
// Benchmarks live in their own package so package-benchmark stays out of the main build.
// Run: cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
import PackageDescription

let benchmarkDependencies: [Target.Dependency] = [.product(name: "Benchmark", package: "benchmark")]
let benchmarkPlugins: [Target.PluginUsage] = [.plugin(name: "BenchmarkPlugin", package: "benchmark")]

let package = Package(
    name: "dnsaudit-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "dnsaudit", path: ".."),
        // Only the malloc interposer: the default traits need a package the local registry mirror
        // lacks. (ARC metrics crash with it, so the suites measure wall clock, throughput, mallocs.)
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "DNSBenchmarks",
            dependencies: benchmarkDependencies + [
                .product(name: "DNSCore", package: "dnsaudit"), .product(name: "DNSLDNS", package: "dnsaudit"),
            ],
            path: "Benchmarks/DNSBenchmarks",
            plugins: benchmarkPlugins
        ),
        .executableTarget(
            name: "SPFBenchmarks",
            dependencies: benchmarkDependencies + [
                "CheckHostPass", .product(name: "DNSCore", package: "dnsaudit"), .product(name: "DNSLDNS", package: "dnsaudit"),
                .product(name: "SPF", package: "dnsaudit"),
            ],
            path: "Benchmarks/SPFBenchmarks",
            plugins: benchmarkPlugins
        ),
        .executableTarget(
            name: "DKIMBenchmarks",
            dependencies: benchmarkDependencies + [
                .product(name: "DNSCore", package: "dnsaudit"), .product(name: "DKIM", package: "dnsaudit"),
            ],
            path: "Benchmarks/DKIMBenchmarks",
            plugins: benchmarkPlugins
        ),
        .executableTarget(
            name: "DMARCBenchmarks",
            dependencies: benchmarkDependencies + [
                .product(name: "DNSCore", package: "dnsaudit"), .product(name: "DMARC", package: "dnsaudit"),
            ],
            path: "Benchmarks/DMARCBenchmarks",
            plugins: benchmarkPlugins
        ),
        .executableTarget(
            name: "AuditBenchmarks",
            dependencies: benchmarkDependencies + [
                .product(name: "DNSCore", package: "dnsaudit"), .product(name: "DNSLDNS", package: "dnsaudit"),
                .product(name: "DNSAudit", package: "dnsaudit"),
            ],
            path: "Benchmarks/AuditBenchmarks",
            plugins: benchmarkPlugins
        ),
        // check_host() throughput as a user's program gets it: package-benchmark's malloc
        // interposer counts every allocation, which slows allocation-heavy code by about a
        // quarter. scripts/compare-pyspf runs both.
        .executableTarget(
            name: "SPFThroughput",
            dependencies: ["CheckHostPass", .product(name: "DNSCore", package: "dnsaudit"), .product(name: "DNSLDNS", package: "dnsaudit")],
            path: "Throughput/SPFThroughput"
        ),
        .target(
            name: "CheckHostPass",
            dependencies: [
                .product(name: "DNSCore", package: "dnsaudit"), .product(name: "DNSLDNS", package: "dnsaudit"),
                .product(name: "SPF", package: "dnsaudit"),
            ],
            path: "Throughput/CheckHostPass"
        ),
    ]
)
