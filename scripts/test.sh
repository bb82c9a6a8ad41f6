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
# Two more servers, of the majors the stack also runs, come from PyPI wheels
# (scripts/pg-wheel.sh, cached) and are installed and started in the background
# while swift compiles, each a throwaway cluster like the first one
# (scripts/pg-cluster.sh start --bin; loopback, trust, user postgres):
#   STACKBACKUP_TEST_PG16_PORT, STACKBACKUP_TEST_PG16_BIN   PostgreSQL 16.2 on 127.0.0.1:PORT,
#                                                           its programs in BIN (pg_dump, pg_restore…)
#   STACKBACKUP_TEST_PG18_PORT, STACKBACKUP_TEST_PG18_BIN   PostgreSQL 18.6, the same way
# They lack uuid-ossp, pgcrypto, ICU and libxml. When one cannot be installed or
# started the run fails under CI=true; elsewhere it warns, leaves its variables
# unset, and the tests that need it skip.
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
# The servers of other majors: their cluster folders and background jobs, by major.
other_majors=(16 18)
declare -A other_dir=() other_pid=()
for major in "${other_majors[@]}"; do
    other_dir[$major]=$(mktemp -d "${TMPDIR:-/tmp}/stackbackup-pg$major-XXXXXX")
    : > "${other_dir[$major]}/.stackbackup-pg-cluster"
    unset "STACKBACKUP_TEST_PG${major}_PORT" "STACKBACKUP_TEST_PG${major}_BIN"
done
cleanup() {
    if [[ -n "$regress_pid" ]]; then
        kill "$regress_pid" 2>/dev/null || true
        wait "$regress_pid" 2>/dev/null || true
    fi
    local major
    for major in "${other_majors[@]}"; do
        if [[ -n "${other_pid[$major]:-}" ]]; then
            # Interrupted while it runs: its whole process group (pip, initdb…); a
            # server it started is in a session of its own (pg_ctl) and stopped below.
            kill -TERM -- "-${other_pid[$major]}" 2>/dev/null || kill "${other_pid[$major]}" 2>/dev/null || true
            wait "${other_pid[$major]}" 2>/dev/null || true
        fi
        bash scripts/pg-cluster.sh stop "${other_dir[$major]}" || true
    done
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

# So do the servers of other majors: wheel (cached after the first run), initdb, start.
# Each in a process group of its own (setsid), so that an interrupt can stop all of it.
for major in "${other_majors[@]}"; do
    echo "test.sh: PostgreSQL $major from scripts/pg-wheel.sh (background)" >&2
    setsid --wait bash -c 'bin=$(bash scripts/pg-wheel.sh install "$1") \
        && bash scripts/pg-cluster.sh start "$2" --bin "$bin" >"$2/env.out" && echo "$bin" >"$2/bin.out"' \
        start-other "$major" "${other_dir[$major]}" &
    other_pid[$major]=$!
done

echo "test.sh: swift build --build-tests ${scratch_args[*]}" >&2
swift build --build-tests "${scratch_args[@]}"

# Every job is waited for before any verdict: none is cut off half-way.
declare -A other_status=()
for major in "${other_majors[@]}"; do
    other_status[$major]=0
    wait "${other_pid[$major]}" || other_status[$major]=$?
    other_pid[$major]=""
done
for major in "${other_majors[@]}"; do
    dir=${other_dir[$major]}
    port=$(sed -n 's/.*PGPORT=\([0-9]*\).*/\1/p' "$dir/env.out" 2>/dev/null || true)
    if [[ ${other_status[$major]} -eq 0 && -n "$port" ]]; then
        export "STACKBACKUP_TEST_PG${major}_PORT=$port" "STACKBACKUP_TEST_PG${major}_BIN=$(cat "$dir/bin.out")"
        echo "test.sh: PostgreSQL $major on 127.0.0.1:$port ($(cat "$dir/bin.out"))" >&2
    elif [[ "${CI:-}" == true || "${CI:-}" == 1 ]]; then
        echo "test.sh: FAILED: PostgreSQL $major could not be installed or started (exit ${other_status[$major]}, see above); CI=$CI needs it" >&2
        exit 1
    else
        echo "test.sh: WARNING: PostgreSQL $major could not be installed or started (exit ${other_status[$major]}); its tests skip" >&2
    fi
done

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
