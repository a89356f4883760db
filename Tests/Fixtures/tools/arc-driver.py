#!/usr/bin/python3
"""Drives dkimpy (python3-dkim) for the MessageAnalysis ARC and re-evaluation tests.

Reads one JSON object on stdin, writes one on stdout. Keys are looked up with dnspython at
127.0.0.1:port (the test's Knot server).

  {"mode": "dkimsign", "message": b64, "selector", "domain", "key": path}   -> {"message": b64}
  {"mode": "arcsign", "message": b64, "selector", "domain", "key": path, "srvid", "port"}
                                                                             -> {"message": b64}
  {"mode": "arcverify", "message": b64, "port"}                            -> {"cv": "pass", "comment": "..."}
"""
import base64
import json
import sys

import dkim
import dns.resolver


def main():
    request = json.load(sys.stdin)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = request.get("port", 53)
    resolver.lifetime = 5

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        try:
            answer = resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
            return None
        return b"".join(list(answer)[0].strings)

    message = base64.b64decode(request["message"])
    mode = request["mode"]
    if mode == "dkimsign":
        with open(request["key"], "rb") as f:
            key = f.read()
        signature = dkim.sign(message, request["selector"].encode(), request["domain"].encode(), key,
                              canonicalize=(b"relaxed", b"relaxed"),
                              include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
        json.dump({"message": base64.b64encode(signature + message).decode()}, sys.stdout)
    elif mode == "arcsign":
        with open(request["key"], "rb") as f:
            key = f.read()
        headers = dkim.arc_sign(message, request["selector"].encode(), request["domain"].encode(), key,
                                request["srvid"].encode(), timestamp=request.get("timestamp"))
        json.dump({"message": base64.b64encode(b"".join(headers) + message).decode()}, sys.stdout)
    elif mode == "arcverify":
        cv, results, comment = dkim.arc_verify(message, dnsfunc=dnsfunc)
        json.dump({"cv": cv.decode() if isinstance(cv, bytes) else str(cv), "comment": str(comment)}, sys.stdout)
    else:
        raise SystemExit("unknown mode %r" % mode)


if __name__ == "__main__":
    main()
