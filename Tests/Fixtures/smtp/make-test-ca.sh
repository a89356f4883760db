#!/usr/bin/env bash
# Creates a test CA and server certificates for the SMTP probe tests, in DIR:
#   ca.pem / ca.key              the CA (trusted only through --ca-file or SSL_CERT_FILE)
#   valid.pem / valid.key        for NAME (SAN DNS:NAME), valid now
#   expired.pem / expired.key    for NAME, expired in 2021
#   wrongname.pem / wrongname.key  for other.invalid only, valid now
# Usage: make-test-ca.sh DIR NAME
set -euo pipefail
dir=$1
name=$2
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
    -days 30 -subj "/O=dnsaudit test/CN=dnsaudit test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
mkdir -p db
: > db/index.txt
echo 1000 > db/serial
cat > ca.cnf <<CNF
[ca]
default_ca = test
[test]
dir = $dir
database = \$dir/db/index.txt
serial = \$dir/db/serial
new_certs_dir = \$dir/db
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = copy
[anything]
commonName = supplied
organizationName = optional
CNF
issue() {  # issue FILE CN SAN STARTDATE ENDDATE
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" \
        -subj "/O=dnsaudit test/CN=$2" -addext "subjectAltName=$3" 2>/dev/null
    openssl ca -batch -config ca.cnf -in "$1.csr" -out "$1.pem" -notext -startdate "$4" -enddate "$5" 2>/dev/null
}
now=$(date -u +%Y%m%d%H%M%SZ)
later=$(date -u -d '+20 days' +%Y%m%d%H%M%SZ)
issue valid "$name" "DNS:$name" "$now" "$later"
issue expired "$name" "DNS:$name" 20210101000000Z 20210201000000Z
issue wrongname other.invalid "DNS:other.invalid" "$now" "$later"
