// Gate one message before sending it: sign it, prove it authenticates, then hand it on.
//
//   presend-example MESSAGE [--zone DIR]
//
// With --zone the DNS answers come from zone files (offline); without it, from the nameservers
// in /etc/resolv.conf through ldns.
import DKIM
import DNSAudit
import DNSCore
import DNSLDNS
import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
var zoneDirectory: String?
if let flag = arguments.firstIndex(of: "--zone"), flag + 1 < arguments.count {
    zoneDirectory = arguments[flag + 1]
    arguments.removeSubrange(flag...flag + 1)
}
guard let messagePath = arguments.first else {
    FileHandle.standardError.write(Data("usage: presend-example MESSAGE [--zone DIR]\n".utf8))
    exit(64)
}
let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../..").standardized

// 1. A resolver: zone files offline, or ldns on the network. Cache within the check.
let resolver: any DNSResolver
if let zoneDirectory {
    let files = try FileManager.default.contentsOfDirectory(atPath: zoneDirectory)
        .filter { $0.hasSuffix(".zone") }.map { zoneDirectory + "/" + $0 }
    resolver = try ZoneResolver(zoneFiles: files)
} else {
    resolver = CachingResolver(LDNSResolver(.init(nameservers: Nameserver.fromResolvConf())))
}

// 2. What is about to be sent, and how to sign it.
let key = try DKIMPrivateKey(contentsOfFile: here.appendingPathComponent("keys/mail.key").path)
let request = PreSendRequest(
    message: Array(try Data(contentsOf: URL(fileURLWithPath: messagePath))),
    mailFrom: "bounces@shop.example",
    egressIPs: [IPAddress("192.0.2.25")!],
    helo: "mail.shop.example",
    signing: [DKIMSigningConfiguration(domain: "shop.example", selector: "mail", key: key)],
    now: Date())

// 3. The gate. The signed message exists only when the verdict is pass.
let report = try await PreSendValidator(resolver: resolver, timeout: .seconds(20)).validate(request)
switch report.verdict {
case .pass:
    FileHandle.standardOutput.write(Data(report.message!))  // hand these bytes to your SMTP client
case .fail, .incomplete:
    for check in report.checks where check.status != .pass && check.status != .skipped {
        var text = "\(check.status) \(check.id): \(check.summary)\n"
        if let fix = check.fix { text += "    fix: \(fix)\n" }
        FileHandle.standardError.write(Data(text.utf8))
    }
    // Programs can act on the stable ids: report.failures.map(\.id) == ["presend.spf"], …
    exit(report.verdict == .fail ? 1 : 2)
}
