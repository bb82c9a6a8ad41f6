#!/usr/bin/env bash
# Checks a copy of a stackbackup repository, for CI.
#
#   REPO=/path/to/repository-copy bash scripts/ci/verify-repository.sh
#
# Always:                          stackbackup verify --files-only   (no passphrase needed)
# With STACKBACKUP_PASSWORD set:   stackbackup verify --read-data-subset auto (1/7 when auto is unknown)
# ... and PGHOST set (a throwaway   stackbackup verify --restore-drill all
#     PostgreSQL service):
#
# STACKBACKUP (default: stackbackup on PATH, else .build/release/stackbackup) names the binary.
# Exits with the first failing check's status: 13 damage found, 1 could not run.
set -uo pipefail

: "${REPO:?set REPO to the path of the repository copy}"
bin=${STACKBACKUP:-}
if [[ -z "$bin" ]]; then
    if command -v stackbackup >/dev/null 2>&1; then bin=stackbackup
    else bin="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.build/release/stackbackup"; fi
fi

status=0
run() {
    echo "::group::stackbackup $*" 2>/dev/null || true
    echo "+ stackbackup $*"
    "$bin" "$@"
    local rc=$?
    echo "::endgroup::" 2>/dev/null || true
    echo "exit $rc"
    if [[ $rc -ne 0 && $status -eq 0 ]]; then status=$rc; fi
    return 0
}

run verify --repo "$REPO" --files-only

if [[ -n "${STACKBACKUP_PASSWORD:-}" ]]; then
    # `auto` (a different slice each night) is refused as a usage error (64) by older builds: use 1/7 there.
    "$bin" verify --read-data-subset auto --repo /nonexistent/stackbackup-probe >/dev/null 2>&1
    if [[ $? -eq 64 ]]; then
        subset=1/7
    else
        subset=auto
    fi
    run verify --repo "$REPO" --read-data-subset "$subset"
    if [[ -n "${PGHOST:-}" ]]; then
        # The drill restores into stackbackup_drill_* scratch databases and drops them.
        run verify --repo "$REPO" --restore-drill all
    else
        echo "PGHOST is not set: skipping the restore drill"
    fi
else
    echo "STACKBACKUP_PASSWORD is not set: only the file-name check ran"
fi
exit "$status"
