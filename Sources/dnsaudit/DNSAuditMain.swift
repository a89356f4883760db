import DNSAuditCLI

/// The executable: everything lives in `DNSAuditCLI` so tests can drive it.
@main
struct DNSAuditMain {
    static func main() async {
        await DNSAuditCommand.runAsMain()
    }
}
