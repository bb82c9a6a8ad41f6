#!/usr/bin/env bash
# Builds stackbackup and runs its whole test suite against a throwaway
# PostgreSQL cluster (scripts/pg-cluster.sh), which is always stopped on exit.
#
#   bash scripts/test.sh                              everything
#   bash scripts/test.sh --filter Postgres            extra arguments go to `swift test`
#   bash scripts/test.sh --scratch-path .build-x ...  a leading --scratch-path (or the
#                                                     SWIFT_SCRATCH_PATH variable) is used
#                                                     for both `swift build` and `swift test`
#
# The cluster is a copy of scripts/regress-db.sh's template, so it already
# holds PostgreSQL's own `regression` database (built once, then cached; the
# build runs in the background while swift compiles). The tests get
#   STACKBACKUP_TEST_PG=1, PGHOST, PGPORT, PGUSER, PGDATABASE   the cluster
#   STACKBACKUP_TEST_REGRESSION_DB=regression                  when the template was used
#   STACKBACKUP_REGRESS_LIB=<cache>/lib                        regress.so & co (for reference)
#   STACKBACKUP_TEST_S3=http://127.0.0.1:PORT                  moto_server
# When the template cannot be built the run fails under CI=true; elsewhere it
# warns and starts a plain initdb cluster (without STACKBACKUP_TEST_REGRESSION_DB).
#
# Exits with `swift test`'s status. Works as root (the server then runs as the
# `postgres` user) and as a normal user.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

scratch=${SWIFT_SCRATCH_PATH:-}
if [[ $# -ge 1 && "$1" == --scratch-path=* ]]; then
    scratch=${1#--scratch-path=}; shift
elif [[ $# -ge 2 && "$1" == --scratch-path ]]; then
    scratch=$2; shift 2
fi
scratch_args=()
if [[ -n "$scratch" ]]; then scratch_args=(--scratch-path "$scratch"); fi

started=$SECONDS
echo "test.sh: installing dependencies" >&2
bash scripts/install-deps.sh

pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/stackbackup-pg-XXXXXX")
# The marker lets pg-cluster.sh stop remove the folder even when start failed early.
: > "$pg_dir/.stackbackup-pg-cluster"
moto_pid=""
regress_pid=""
cleanup() {
    if [[ -n "$regress_pid" ]]; then
        kill "$regress_pid" 2>/dev/null || true
        wait "$regress_pid" 2>/dev/null || true
    fi
    if [[ -n "$moto_pid" ]]; then
        kill "$moto_pid" 2>/dev/null || true
        # moto_server may ignore SIGTERM while request threads linger.
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$moto_pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$moto_pid" 2>/dev/null || true
        wait "$moto_pid" 2>/dev/null || true
    fi
    bash scripts/pg-cluster.sh stop "$pg_dir" || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The regression template builds (or is found in the cache) while swift compiles.
echo "test.sh: scripts/regress-db.sh build (background)" >&2
bash scripts/regress-db.sh build >"$pg_dir/regress-db.out" &
regress_pid=$!

echo "test.sh: swift build --build-tests ${scratch_args[*]}" >&2
swift build --build-tests "${scratch_args[@]}"

regress_status=0
wait "$regress_pid" || regress_status=$?
regress_pid=""
template_args=()
if [[ $regress_status -eq 0 ]]; then
    template_args=(--template "$(cat "$pg_dir/regress-db.out")")
elif [[ "${CI:-}" == true || "${CI:-}" == 1 ]]; then
    echo "test.sh: FAILED: scripts/regress-db.sh build exited $regress_status (see above); CI=$CI needs the regression template" >&2
    exit 1
else
    echo "test.sh: WARNING: scripts/regress-db.sh build exited $regress_status; starting a plain cluster without the regression database" >&2
fi

echo "test.sh: starting PostgreSQL in $pg_dir ${template_args[*]}" >&2
pg_env=$(bash scripts/pg-cluster.sh start "$pg_dir" "${template_args[@]}")
eval "$pg_env"
export PGHOST PGPORT PGUSER PGDATABASE
export STACKBACKUP_TEST_PG=1
unset STACKBACKUP_TEST_REGRESSION_DB STACKBACKUP_REGRESS_LIB
if [[ ${#template_args[@]} -gt 0 ]]; then
    export STACKBACKUP_TEST_REGRESSION_DB=regression
    STACKBACKUP_REGRESS_LIB=$(bash scripts/regress-db.sh lib)
    export STACKBACKUP_REGRESS_LIB
    echo "test.sh: database $STACKBACKUP_TEST_REGRESSION_DB from the template (C functions in $STACKBACKUP_REGRESS_LIB)" >&2
fi
echo "test.sh: PostgreSQL on $PGHOST:$PGPORT" >&2

# The S3 server for the S3 tests: moto_server on a free loopback port.
moto_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
moto_server -H 127.0.0.1 -p "$moto_port" >"$pg_dir/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$moto_port") 2>/dev/null; then break; fi
    kill -0 "$moto_pid" 2>/dev/null || { echo "test.sh: moto_server exited:" >&2; cat "$pg_dir/moto.log" >&2; exit 1; }
    sleep 0.2
done
export STACKBACKUP_TEST_S3="http://127.0.0.1:$moto_port"
echo "test.sh: S3 (moto_server) on $STACKBACKUP_TEST_S3" >&2

status=0
swift test "${scratch_args[@]}" "$@" || status=$?
echo "test.sh: swift test exited $status after $((SECONDS - started))s" >&2
exit "$status"
