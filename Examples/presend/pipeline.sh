#!/bin/sh
# Gate a message with `dnsaudit presend`, then hand it to sendmail -t, in one pipeline.
#
#   Examples/presend/pipeline.sh [MESSAGE]           offline against Examples/presend/zones;
#                                                    prints the signed message (no sendmail)
#   SEND=1 Examples/presend/pipeline.sh MESSAGE      for real: live DNS, then sendmail -t
#
# presend writes nothing to stdout unless every check passed, so on failure sendmail -t reads an
# empty message, finds no recipient and sends nothing. The script still checks presend's own exit
# status, so a failure is reported as one (1: fail, 2: DNS failure, retry later).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dnsaudit=${DNSAUDIT:-dnsaudit}
message=${1:-$here/message.eml}

gate() {
    "$dnsaudit" presend --mail-from bounces@shop.example --ip 192.0.2.25 --helo mail.shop.example \
        --domain shop.example --selector mail --key "$here/keys/mail.key" "$@" < "$message"
}

if [ "${SEND:-0}" = 1 ]; then
    # The one-liner: dnsaudit presend ... < message | sendmail -t
    # Keep presend's exit status (POSIX sh has no pipefail): write it to a file descriptor.
    set +e
    exec 4>&1
    status=$( { { gate; echo $? >&3; } | sendmail -t >&4; } 3>&1 )
    exit "$status"
else
    gate --zone "$here/zones" --offline
fi
