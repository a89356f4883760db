"""Runs pyspf's check_host() for dnsaudit's SPF interop tests.

Reads one JSON object on stdin and writes one on stdout:

  {"port": 53000, "checks": [{"ip": "2001:db8::10", "sender": "alice@voids.test", "helo": "mail.voids.test"}, ...]}
    -> {"results": [{"result": "permerror", "voids": 3, "lookups": 3}, ...]}

DNS is asked with dnspython at 127.0.0.1:port (the test's Knot server) and nowhere else.
"""
import json
import sys

import dns.resolver
import spf


def main():
    request = json.load(sys.stdin)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = request["port"]
    resolver.lifetime = 5
    # pyspf asks through dns.resolver.query(), which uses the default resolver.
    dns.resolver.default_resolver = resolver
    results = []
    for check in request["checks"]:
        query = spf.query(i=check["ip"], s=check["sender"], h=check["helo"], querytime=20)
        result, _, _ = query.check()
        results.append({"result": result, "voids": query.void_lookups, "lookups": query.lookups})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
