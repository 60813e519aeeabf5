#!/usr/bin/env bash
# The performance bench's HTTP figures (docs/PERFORMANCE.md): figure (3)
# and the caseHistory reads, and issue 11's end-to-end figures (E1-E6:
# receiveCall over HTTP vs pgbench's one-row INSERT, server CPU per request,
# statements per event and per command). Installs the load generator, wrk,
# when it is missing (pgbench comes with PostgreSQL), then runs the bench's
# `http` and `end-to-end` phases. Arguments go to the bench, e.g.
#   scripts/bench-http.sh --quick
#   scripts/bench-http.sh --only end-to-end --request-seconds 20
#   scripts/bench-http.sh --only writes,http     # (3) with (1) as its baseline
# The bench DROPS and recreates its own database (CASETRAIL_BENCH_DATABASE_URL,
# default casetrail_bench). E4-E6 read PostgreSQL's log
# (CASETRAIL_BENCH_PG_LOG, default Debian's) and are skipped when it is not readable.
set -euo pipefail

if ! command -v wrk >/dev/null 2>&1; then
    echo "wrk not found: installing it (Debian package wrk)" >&2
    if [ "$(id -u)" -eq 0 ]; then
        apt-get install -y wrk
    else
        sudo apt-get install -y wrk
    fi
fi
if ! command -v pgbench >/dev/null 2>&1; then
    echo "pgbench not found: install PostgreSQL's client tools (Debian: postgresql-client)" >&2
    exit 1
fi

only=(--only http,end-to-end)
for arg in "$@"; do
    case "$arg" in
        --only | --only=*) only=() ;;
    esac
done

cd "$(dirname "$0")/.."
exec cargo bench -p casetrail-tests --bench performance -- "${only[@]}" "$@"
