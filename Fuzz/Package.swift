// swift-tools-version: 6.1
//
// libFuzzer targets for dnsaudit's parsers (issue 8). A package of its own, so the fuzzing build
// (`--sanitize=fuzzer --sanitize=address`) never touches the main build. Build and run with
// `scripts/fuzz` at the repository root; see Fuzz/README.md.
//
// Each target is an executable whose only entry point is `LLVMFuzzerTestOneInput`; libFuzzer
// supplies `main`.
import PackageDescription

let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: products.map { .product(name: $0, package: "dnsaudit") },
        swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]
    )
}

let package = Package(
    name: "dnsaudit-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "dnsaudit", path: "..")],
    targets: [
        fuzzTarget("FuzzSPFRecord", ["SPF", "MailAuthCore", "DNSCore"]),
        fuzzTarget("FuzzSPFMacro", ["SPF", "MailAuthCore", "DNSCore"]),
        fuzzTarget("FuzzDMARCRecord", ["DMARC", "MailAuthCore"]),
        fuzzTarget("FuzzDKIMSignature", ["DKIM", "MailAuthCore"]),
        fuzzTarget("FuzzDKIMKeyRecord", ["DKIM", "MailAuthCore"]),
        fuzzTarget("FuzzTagList", ["MailAuthCore"]),
        fuzzTarget("FuzzMailMessage", ["DKIM"]),
        fuzzTarget("FuzzZoneFile", ["DNSLDNS", "DNSCore"]),
        fuzzTarget("FuzzDNSWire", ["DNSLDNS", "DNSCore"]),
        fuzzTarget("FuzzMTASTSPolicy", ["DNSAudit", "DNSCore"]),
        fuzzTarget("FuzzDNSSECValidation", ["DNSLDNS", "DNSCore"]),
        fuzzTarget("FuzzReceived", ["MessageAnalysis"]),
        fuzzTarget("FuzzAuthenticationResults", ["MessageAnalysis"]),
        fuzzTarget("FuzzBounce", ["MessageAnalysis"]),
    ]
)
