#!/usr/bin/env bash
# The performance bench's HTTP figures (docs/PERFORMANCE.md, figure 3 and the
# caseHistory reads): installs the load generator, wrk, when it is missing,
# then runs the bench's `http` phase. Arguments go to the bench, e.g.
#   scripts/bench-http.sh --quick
#   scripts/bench-http.sh --only writes,http     # (3) with (1) as its baseline
# Without --only, only the http phase runs. The bench DROPS and recreates its
# own database (CASETRAIL_BENCH_DATABASE_URL, default casetrail_bench).
set -euo pipefail

if ! command -v wrk >/dev/null 2>&1; then
    echo "wrk not found: installing it (Debian package wrk)" >&2
    if [ "$(id -u)" -eq 0 ]; then
        apt-get install -y wrk
    else
        sudo apt-get install -y wrk
    fi
fi

only=(--only http)
for arg in "$@"; do
    case "$arg" in
        --only | --only=*) only=() ;;
    esac
done

cd "$(dirname "$0")/.."
exec cargo bench -p casetrail-tests --bench performance -- "${only[@]}" "$@"
