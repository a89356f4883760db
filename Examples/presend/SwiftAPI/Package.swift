// swift-tools-version: 6.1
//
// Using the pre-send gate from another Swift package (docs/presend.md):
//
//   cd Examples/presend/SwiftAPI
//   swift run presend-example ../message.eml --zone ../zones
//
import PackageDescription

let package = Package(
    name: "presend-example",
    platforms: [.macOS(.v15)],
    dependencies: [
        // In your package: .package(url: "https://…/dnsaudit.git", from: "0.1.0")
        .package(name: "dnsaudit", path: "../../.."),
    ],
    targets: [
        .executableTarget(
            name: "presend-example",
            dependencies: [
                .product(name: "DNSAudit", package: "dnsaudit"),
                .product(name: "DKIM", package: "dnsaudit"),
                .product(name: "DNSCore", package: "dnsaudit"),
                .product(name: "DNSLDNS", package: "dnsaudit"),
            ]
        ),
    ]
)
