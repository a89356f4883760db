# Sourced by scripts/bench and scripts/compare-pyspf: starts Knot on a free loopback port for a
# directory of NAME.zone files. Needs $work (a temporary directory the caller removes, killing
# the servers through the pidfiles knotd writes there).
# start_knot NAME ZONE_DIRECTORY → prints the port
start_knot() {
    local name=$1 zones=$2 dir="$work/$1" port=$(( 20000 + RANDOM % 12000 ))
    mkdir -p "$dir/db"
    {
        printf 'server:\n    rundir: "%s"\n    pidfile: "%s/knot.pid"\n    listen: 127.0.0.1@%s\n' "$dir" "$dir" "$port"
        printf 'database:\n    storage: "%s/db"\n' "$dir"
        printf 'template:\n  - id: default\n    storage: "%s"\n    file: "%%s.zone"\n' "$zones"
        printf '    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n    semantic-checks: off\n'
        printf 'zone:\n'
        for file in "$zones"/*.zone; do printf '  - domain: "%s"\n' "$(basename "$file" .zone)"; done
    } > "$dir/knot.conf"
    knotd -c "$dir/knot.conf" > "$dir/knot.log" 2>&1 &
    for _ in $(seq 200); do
        drill -t -p "$port" @127.0.0.1 "$(basename "$(ls "$zones"/*.zone | head -1)" .zone)" SOA 2>/dev/null | grep -q NOERROR && break
        sleep 0.05
    done
    echo "$port"
}

