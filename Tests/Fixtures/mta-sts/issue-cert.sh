#!/usr/bin/env bash
# Issues a server certificate from a TestCA directory (made by Tests/Fixtures/smtp/make-test-ca.sh)
# with several names, for the MTA-STS policy hosts one nginx serves.
# Usage: issue-cert.sh DIR FILE NAME...   writes DIR/FILE.pem and DIR/FILE.key, valid now, SAN DNS:NAME…
set -euo pipefail
dir=$1
file=$2
shift 2
san=$(printf 'DNS:%s,' "$@")
san=${san%,}
cd "$dir"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$file.key" -out "$file.csr" \
    -subj "/O=dnsaudit test/CN=$1" -addext "subjectAltName=$san" 2>/dev/null
openssl ca -batch -config ca.cnf -in "$file.csr" -out "$file.pem" -notext \
    -startdate "$(date -u +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d '+20 days' +%Y%m%d%H%M%SZ)" 2>/dev/null
