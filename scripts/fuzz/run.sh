#!/usr/bin/env bash
# Builds the libFuzzer harness (scripts/fuzz, its own .build, apart from the
# normal build) and runs each target for N seconds over its committed corpus.
#
#   scripts/fuzz/run.sh [--seconds N] [--scratch DIR] [TARGET...]
#
# Targets: sealed pack index tree manifest config keyfile (default: all).
# New corpus entries and crash inputs go to the scratch folder (default
# $TMPDIR/stackbackup-fuzz), never into scripts/fuzz/corpus. Prints executions,
# coverage and findings per target; exits 1 when any target found a crash, a
# timeout (> 5 s), an allocation over 512 MiB or an unacceptable error, and
# names the input that reproduces it. Exit 2: the harness did not build.
#
# Reproduce a finding: STACKBACKUP_FUZZ_TARGET=<target> <binary> <crash file>
# Extra libFuzzer flags: FUZZ_FLAGS="-jobs=1 ...". Runs under `nice` when NICE is set.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
all=(sealed pack index tree manifest config keyfile)
seconds=10
scratch="${TMPDIR:-/tmp}/stackbackup-fuzz"
targets=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --scratch) scratch="$2"; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=("${all[@]}")
for t in "${targets[@]}"; do
    [[ -d "$here/corpus/$t" ]] || { echo "run.sh: unknown target $t; use one of: ${all[*]}" >&2; exit 64; }
done

nice_cmd=()
[[ -n "${NICE:-}" ]] && nice_cmd=(nice -n "$NICE")

start=$SECONDS
# swiftc keeps only the last -sanitize= flag, so SwiftPM's two --sanitize flags alone leave the
# Swift code without coverage counters: -Xswiftc passes both to swiftc at once.
echo "== building the fuzz harness (release, -sanitize=fuzzer,address)"
mkdir -p "$scratch/artifacts"
if ! (cd "$here" && "${nice_cmd[@]}" swift build -c release --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address >"$scratch/build.log" 2>&1); then
    tail -40 "$scratch/build.log" >&2
    echo "run.sh: the fuzz harness did not build (log: $scratch/build.log)" >&2
    exit 2
fi
binary="$here/.build/release/stackbackup-fuzz"
echo "   built in $((SECONDS - start)) s: $binary"

failed=0
summary=()
for t in "${targets[@]}"; do
    mkdir -p "$scratch/$t"
    log="$scratch/$t.log"
    dict=()
    [[ -f "$here/dict/$t.dict" ]] && dict=("-dict=$here/dict/$t.dict")
    echo "== $t: ${seconds} s"
    set +e
    # The scratch folder comes first: libFuzzer adds new inputs to the first folder only.
    STACKBACKUP_FUZZ_TARGET="$t" ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" "${nice_cmd[@]}" "$binary" \
        "$scratch/$t" "$here/corpus/$t" "${dict[@]}" \
        -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -malloc_limit_mb=512 \
        -report_slow_units=1 -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$t-" \
        ${FUZZ_FLAGS:-} >"$log" 2>&1
    rc=$?
    set -e
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    status=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' <<<"$status" | grep -o '[0-9]*' || true)
    ft=$(grep -o 'ft: [0-9]*' <<<"$status" | grep -o '[0-9]*' || true)
    corp=$(grep -o 'corp: [0-9]*/[0-9A-Za-z]*' <<<"$status" | cut -d' ' -f2 || true)
    slow=$(grep -o 'Slowest unit: [0-9]* s' "$log" | tail -1 || true)
    if [[ $rc -eq 0 ]]; then
        finding="none"
    else
        failed=1
        reason=$(grep -m1 -E 'FINDING|ERROR: libFuzzer|ERROR: AddressSanitizer|Fatal error|SUMMARY' "$log" || echo "exit $rc")
        input=$(grep -o "Test unit written to [^ ]*" "$log" | tail -1 | sed 's/Test unit written to //')
        finding="$reason; input: ${input:-none}; log: $log"
        grep -E 'FINDING|Fatal error|ERROR:' "$log" | head -5 >&2 || true
    fi
    line="$t: execs ${execs:-?}, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}${slow:+, $slow}, findings: $finding"
    echo "   $line"
    summary+=("$line")
done

echo "== summary ($((SECONDS - start)) s in all)"
printf '   %s\n' "${summary[@]}"
if [[ $failed -ne 0 ]]; then
    echo "run.sh: findings above; reproduce with STACKBACKUP_FUZZ_TARGET=<target> $binary <input>" >&2
    exit 1
fi
