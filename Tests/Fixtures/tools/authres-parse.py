#!/usr/bin/python3
"""Parses Authentication-Results values with python3-authres (the independent implementation the
MessageAnalysis tests compare with). Input: a JSON list of {"arc": bool, "value": unfolded field
value} on stdin. Output: a JSON list, one {"ok": true, "authservID", "instance", "results": [
{"method", "result", "reason", "properties": [[type, name, value], ...]}]} or {"ok": false,
"error"} per input."""
import json
import re
import sys

import authres

out = []
for item in json.load(sys.stdin):
    value = item["value"]
    instance = None
    try:
        if item["arc"]:
            match = re.match(r"\s*i\s*=\s*(\d+)\s*;(.*)\Z", value, re.S)
            if not match:
                raise ValueError("no i= instance")
            instance = int(match.group(1))
            value = match.group(2)
        header = authres.AuthenticationResultsHeader.parse_value(value)
        out.append({
            "ok": True, "authservID": header.authserv_id, "instance": instance,
            "results": [{
                "method": r.method, "result": r.result, "reason": r.reason,
                "properties": [[p.type, p.name, p.value] for p in r.properties],
            } for r in header.results],
        })
    except Exception as error:  # authres raises its own SyntaxError and others
        out.append({"ok": False, "error": "%s: %s" % (type(error).__name__, error)})
json.dump(out, sys.stdout)
