"""Drives dkimpy for dnsaudit's interop tests.

Reads one JSON object on stdin and writes one on stdout.

  {"mode": "verify", "port": 53000, "messages": ["<base64>", ...]}
    -> {"results": [[true, false], ...]}   one list per message, one bool per DKIM-Signature
  {"mode": "sign", "port": ..., "messages": [...], "selector": "s", "domain": "d", "key": "/path",
   "canonicalize": "relaxed/simple", "include_headers": ["from", ...] or null}
    -> {"messages": ["<base64>", ...]}     the signed messages

Keys are looked up with dnspython at 127.0.0.1:port (the test's Knot server).
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
    resolver.port = request["port"]
    resolver.lifetime = 5

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        try:
            answer = resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
            # NoNameservers: a name outside the served zones (REFUSED), e.g. an old signature.
            return None
        return b"".join(list(answer)[0].strings)

    messages = [base64.b64decode(m) for m in request["messages"]]
    if request["mode"] == "verify":
        results = []
        for message in messages:
            d = dkim.DKIM(message, minkey=1024)
            count = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
            results.append([bool(d.verify(idx=i, dnsfunc=dnsfunc)) for i in range(count)])
        json.dump({"results": results}, sys.stdout)
    else:
        with open(request["key"], "rb") as f:
            key = f.read()
        header, body = request["canonicalize"].split("/")
        include = request.get("include_headers")
        signed = []
        for message in messages:
            signature = dkim.sign(
                message, request["selector"].encode(), request["domain"].encode(), key,
                canonicalize=(header.encode(), body.encode()),
                include_headers=[h.encode() for h in include] if include else None,
                signature_algorithm=request.get("algorithm", "rsa-sha256").encode())
            signed.append(base64.b64encode(signature + message).decode())
        json.dump({"messages": signed}, sys.stdout)


main()
