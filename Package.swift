// swift-tools-version: 6.1
//
// dnsaudit: read a domain's mail DNS through ldns, evaluate SPF, DKIM and DMARC the way receivers
// do, sign outgoing mail with DKIM, and gate a message before it is sent.
//
// Dependencies. Every arrow points from a module to one it uses; none points back, and no
// evaluator (SPF, DMARC, DKIM, DNSAudit) sees ldns or a socket: they ask DNSCore's DNSResolver.
//
//   dnsaudit ──▶ DNSAuditCLI ──▶ DNSAudit ──▶ SPF, DMARC, DKIM ──▶ MailAuthCore ──▶ DNSCore
//                    │                        DKIM ──▶ CLibCrypto (OpenSSL libcrypto)
//                    │                        DNSAudit ──▶ SMTPProbing, TLS (the MTA-STS fetch, the MX probe)
//                    ├──────────▶ SMTP (the reply table; no dependencies)
//                    ├──────────▶ IDNA ──▶ CIDN2 (libidn2: U-labels to A-labels)
//                    ├──────────▶ SMTPProbing ──▶ SMTP, TLS ──▶ CLibSSL (OpenSSL libssl), DNSCore
//                    ├──────────▶ MessageAnalysis (headers, bounces) ──▶ SPF, DMARC, DKIM, SMTP
//                    └──────────▶ DNSLDNS ──▶ DNSCore, CLDNS (libldns), CLinuxIO (epoll, eventfd, sendmmsg)
//
// Linux only: the UDP path (DNSLDNS's UDPChannel, through CLinuxIO) is built on epoll, eventfd and
// sendmmsg(2), and the tests read /proc. No other platform is built or tested, so none is claimed.
//
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "dnsaudit",
    products: [
        .library(name: "DNSCore", targets: ["DNSCore"]),
        .library(name: "DNSLDNS", targets: ["DNSLDNS"]),
        .library(name: "MailAuthCore", targets: ["MailAuthCore"]),
        .library(name: "SPF", targets: ["SPF"]),
        .library(name: "DMARC", targets: ["DMARC"]),
        .library(name: "DKIM", targets: ["DKIM"]),
        .library(name: "DNSAudit", targets: ["DNSAudit"]),
        .library(name: "SMTP", targets: ["SMTP"]),
        .library(name: "IDNA", targets: ["IDNA"]),
        .library(name: "TLS", targets: ["TLS"]),
        .library(name: "SMTPProbing", targets: ["SMTPProbing"]),
        .library(name: "MessageAnalysis", targets: ["MessageAnalysis"]),
        .executable(name: "dnsaudit", targets: ["dnsaudit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
    ],
    targets: [
        // C libraries, reached only through the one Swift module that wraps each.
        .systemLibrary(
            name: "CLDNS",
            pkgConfig: "ldns",
            providers: [.apt(["libldns-dev"])]
        ),
        // The Linux I/O calls of DNSLDNS's UDP channel (epoll, eventfd, sendmmsg).
        .target(name: "CLinuxIO"),
        .systemLibrary(
            name: "CIDN2",
            pkgConfig: "libidn2",
            providers: [.apt(["libidn2-dev"])]
        ),
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CLibSSL",
            pkgConfig: "libssl",
            providers: [.apt(["libssl-dev"])]
        ),

        // DNS: a portable core and the ldns binding.
        .target(name: "DNSCore", swiftSettings: swiftSettings),
        .target(name: "DNSLDNS", dependencies: ["CLDNS", "CLinuxIO", "DNSCore"], swiftSettings: swiftSettings),

        // Mail authentication.
        .target(name: "MailAuthCore", dependencies: ["DNSCore"], swiftSettings: swiftSettings),
        .target(name: "SPF", dependencies: ["MailAuthCore", "DNSCore"], swiftSettings: swiftSettings),
        .target(
            name: "DMARC",
            dependencies: ["MailAuthCore", "DNSCore"],
            resources: [.copy("Resources/public_suffix_list.dat")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DKIM",
            dependencies: ["MailAuthCore", "DNSCore", "CLibCrypto"],
            swiftSettings: swiftSettings
        ),

        // SMTP: the reply table and its classifier (no I/O).
        .target(name: "SMTP", swiftSettings: swiftSettings),
        // Internationalized domain names (IDNA2008 / UTS #46) through libidn2.
        .target(name: "IDNA", dependencies: ["CIDN2"], swiftSettings: swiftSettings),
        // A TCP byte stream with deadlines, upgradable to TLS (OpenSSL libssl): the SMTP probe's
        // and the MTA-STS policy fetch's transport.
        .target(name: "TLS", dependencies: ["CLibSSL", "DNSCore"], swiftSettings: swiftSettings),
        // The SMTP probe: talks to a server over TLS's ByteStream, explains replies with SMTP.
        .target(
            name: "SMTPProbing",
            dependencies: ["SMTP", "TLS", "DNSCore", "MailAuthCore"],
            swiftSettings: swiftSettings
        ),

        // A received message's headers and a bounce, read on the engines above (issue 16).
        .target(
            name: "MessageAnalysis",
            dependencies: ["SPF", "DMARC", "DKIM", "SMTP", "MailAuthCore", "DNSCore"],
            swiftSettings: swiftSettings
        ),

        // The audit engine, the CLI's commands (a target, not a product: only the executable and
        // the tests use it) and the one-line executable.
        .target(
            name: "DNSAudit",
            // CLibCrypto: DANE's TLSA matching (certificate digests, RFC 6698 §2.1).
            // TLS, SMTPProbing: the MTA-STS policy fetch and the MX STARTTLS probe (RFC 8461, RFC 7672).
            dependencies: ["SPF", "DMARC", "DKIM", "DNSCore", "MailAuthCore", "CLibCrypto", "TLS", "SMTPProbing"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DNSAuditCLI",
            dependencies: [
                "DNSAudit", "DNSLDNS", "DNSCore", "SPF", "DMARC", "DKIM", "MailAuthCore", "SMTP", "SMTPProbing", "TLS", "IDNA", "MessageAnalysis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "dnsaudit", dependencies: ["DNSAuditCLI"], swiftSettings: swiftSettings),

        // Test-only helpers: the loopback Knot server fixture, fixture paths.
        .target(name: "TestSupport", dependencies: ["DNSCore", "DNSLDNS"], swiftSettings: swiftSettings),

        .testTarget(name: "DNSCoreTests", dependencies: ["DNSCore", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DNSLDNSTests",
            // CLDNS: the reply-parsing tests decode with ldns_wire2pkt as the reference.
            dependencies: ["DNSLDNS", "DNSCore", "CLDNS", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "MailAuthCoreTests", dependencies: ["MailAuthCore"], swiftSettings: swiftSettings),
        .testTarget(name: "SMTPTests", dependencies: ["SMTP", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SMTPProbeTests",
            dependencies: ["SMTPProbing", "SMTP", "TLS", "DNSCore", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SPFTests",
            dependencies: ["SPF", "DNSCore", "DNSLDNS", "TestSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DMARCTests",
            dependencies: ["DMARC", "DNSCore", "DNSLDNS", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DKIMTests",
            dependencies: ["DKIM", "DNSCore", "DNSLDNS", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PreSendTests",
            dependencies: ["DNSAudit", "DKIM", "SPF", "DMARC", "DNSCore", "DNSLDNS", "MailAuthCore", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReliabilityTests",
            dependencies: [
                "DNSAudit", "DNSAuditCLI", "DKIM", "SPF", "DMARC", "DNSCore", "DNSLDNS", "MailAuthCore", "TestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MessageAnalysisTests",
            dependencies: ["MessageAnalysis", "DKIM", "SMTP", "DNSCore", "DNSLDNS", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DNSAuditCLITests",
            dependencies: [
                "DNSAuditCLI", "DNSAudit", "DKIM", "DMARC", "DNSCore", "DNSLDNS", "IDNA", "TestSupport", .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
