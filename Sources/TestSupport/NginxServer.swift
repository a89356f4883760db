import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// nginx serving HTTPS on 127.0.0.1, for the MTA-STS policy fetch tests (RFC 8461 §3.3): one
/// `server` block a site, chosen by SNI, each with its own certificate and directives, in a
/// temporary directory on a random port in 20000–32000 (the ephemeral range is busy here).
/// Started with posix_spawn like ``KnotServer`` (a clean signal mask), in the foreground
/// (`daemon off`), stopped with SIGTERM.
public final class NginxServer: Sendable {
    /// One HTTPS virtual host.
    public struct Site: Sendable {
        /// The `server_name` (the SNI name a client sends).
        public var serverName: String
        /// PEM certificate and key files.
        public var certificate: String
        public var key: String
        /// Directives inside the `server` block (`location`, `default_type`, `return`, …); `root`
        /// is the site's own folder, ``NginxServer/siteRoot(_:)``.
        public var directives: String

        public init(serverName: String, certificate: String, key: String, directives: String = "") {
            self.serverName = serverName
            self.certificate = certificate
            self.key = key
            self.directives = directives
        }
    }

    public let port: UInt16
    public let pid: pid_t
    public let directory: String

    private init(port: UInt16, pid: pid_t, directory: String) {
        self.port = port
        self.pid = pid
        self.directory = directory
    }

    /// The `nginx` binary, or `nil` when nginx is not installed.
    public static var nginx: String? {
        ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Where a site's files go: `files` keys are paths below it (`.well-known/mta-sts.txt`).
    static func siteRoot(_ directory: String, _ serverName: String) -> String { directory + "/www/" + serverName }

    /// Starts nginx for `sites`, writing `files[serverName][path] = bytes` under each site's root.
    public static func start(sites: [Site], files: [String: [String: [UInt8]]]) async throws -> NginxServer {
        guard let nginx else {
            throw KnotServer.StartError(description: "nginx not found: install it (apt-get install -y nginx); scripts/install-deps --test does")
        }
        var lastError = ""
        for _ in 0..<8 {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("dnsaudit-nginx-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory + "/temp", withIntermediateDirectories: true)
            for site in sites {
                let root = siteRoot(directory, site.serverName)
                try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
                for (path, bytes) in files[site.serverName] ?? [:] {
                    let file = root + "/" + path
                    try FileManager.default.createDirectory(
                        atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try Data(bytes).write(to: URL(fileURLWithPath: file))
                }
            }
            let port = randomServerPort()
            try configuration(directory: directory, port: port, sites: sites)
                .write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
            let pid = try KnotServer.spawn(
                nginx, ["nginx", "-p", directory, "-c", directory + "/nginx.conf", "-e", directory + "/error.log"],
                log: directory + "/nginx")
            let server = NginxServer(port: port, pid: pid, directory: directory)
            if await server.waitUntilReady() { return server }
            lastError = (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? "no log"
            server.stop()
        }
        throw KnotServer.StartError(description: "nginx did not start: \(lastError)")
    }

    static func configuration(directory: String, port: UInt16, sites: [Site]) -> String {
        // As root, workers would switch to `nobody`, which may not read the temporary files.
        var text = getuid() == 0 ? "user root;\n" : ""
        text += """
            daemon off;
            worker_processes 1;
            pid "\(directory)/nginx.pid";
            error_log "\(directory)/error.log" info;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path "\(directory)/temp/body";
                proxy_temp_path "\(directory)/temp/proxy";
                fastcgi_temp_path "\(directory)/temp/fastcgi";
                uwsgi_temp_path "\(directory)/temp/uwsgi";
                scgi_temp_path "\(directory)/temp/scgi";
                types { text/plain txt; }
                default_type application/octet-stream;

            """
        for site in sites {
            text += """
                    server {
                        listen 127.0.0.1:\(port) ssl;
                        server_name \(site.serverName);
                        ssl_certificate "\(site.certificate)";
                        ssl_certificate_key "\(site.key)";
                        root "\(siteRoot(directory, site.serverName))";
                \(site.directives)
                    }

                """
        }
        return text + "}\n"
    }

    /// Polls until nginx has written its pid file (it does so only once every `listen` is bound:
    /// the kernel accepts on the first socket while nginx still retries a busy one) and accepts on
    /// ``port``, it exits, or 10 s pass.
    private func waitUntilReady() async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if !isRunning { return false }
            if FileManager.default.fileExists(atPath: directory + "/nginx.pid"), Self.accepts(port: port) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    static func accepts(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Whether the process is still alive (a zombie counts as exited).
    public var isRunning: Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")")
        else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
        return state != "Z" && state != "X"
    }

    /// Stops nginx (SIGTERM: a fast shutdown of master and worker), reaps it and removes its directory.
    public func stop() { KnotServer.stop(pid: pid, removing: directory) }
}

/// A TLS server on 127.0.0.1 (Tests/Fixtures/mta-sts/slow-policy-server.py, Python's ssl
/// module) that answers the policy request badly on purpose: `trickle` sends the headers, then
/// one body byte every half second and never closes; `chunked` sends a good policy with
/// `Transfer-Encoding: chunked`; `garbage` answers over TLS with something that is not HTTP;
/// `plain` speaks no TLS at all.
public final class SlowPolicyServer: Sendable {
    public enum Mode: String, Sendable { case trickle, chunked, garbage, plain }

    public let port: UInt16
    public let pid: pid_t
    public let directory: String

    private init(port: UInt16, pid: pid_t, directory: String) {
        self.port = port
        self.pid = pid
        self.directory = directory
    }

    /// Starts the server with `certificate` and `key`, serving `body` in `mode`.
    public static func start(mode: Mode, certificate: String, key: String, body: String) async throws -> SlowPolicyServer {
        let python = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw KnotServer.StartError(description: "/usr/bin/python3 not found (apt-get install -y python3)")
        }
        var lastError = ""
        for _ in 0..<8 {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("dnsaudit-slow-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try body.write(toFile: directory + "/body", atomically: true, encoding: .utf8)
            let port = randomServerPort()
            let pid = try KnotServer.spawn(
                python,
                ["python3", KnotServer.fixtures("mta-sts/slow-policy-server.py"), String(port), certificate, key, mode.rawValue,
                 directory + "/body"],
                log: directory + "/server")
            let server = SlowPolicyServer(port: port, pid: pid, directory: directory)
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline, kill(pid, 0) == 0, !NginxServer.accepts(port: port) {
                try await Task.sleep(for: .milliseconds(20))
            }
            if NginxServer.accepts(port: port) { return server }
            lastError = (try? String(contentsOfFile: directory + "/server.stderr", encoding: .utf8)) ?? "no log"
            server.stop()
        }
        throw KnotServer.StartError(description: "slow-policy-server.py did not start: \(lastError)")
    }

    public func stop() { KnotServer.stop(pid: pid, removing: directory) }
}
