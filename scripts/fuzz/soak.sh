#!/usr/bin/env bash
# Runs one fuzz target (already built by run.sh) until it has used CPU_SECONDS
# of CPU, under nice 19, and prints libFuzzer's final stats and the CPU used.
#   scripts/fuzz/soak.sh TARGET CPU_SECONDS [SCRATCH]
# Not for CI: this is the long run of issue 12 (10 CPU-minutes per target).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="$1" budget="$2" scratch="${3:-${TMPDIR:-/tmp}/stackbackup-fuzz-soak}"
mkdir -p "$scratch/$target" "$scratch/artifacts"
dict=()
[[ -f "$here/dict/$target.dict" ]] && dict=("-dict=$here/dict/$target.dict")
STACKBACKUP_FUZZ_TARGET="$target" ASAN_OPTIONS=detect_leaks=0 nice -n 19 "$here/.build/release/stackbackup-fuzz" \
    "$scratch/$target" "$here/corpus/$target" "${dict[@]}" -timeout=5 -rss_limit_mb=2048 -malloc_limit_mb=512 \
    -report_slow_units=1 -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$target-" >"$scratch/$target.log" 2>&1 &
pid=$!
ticks=$(getconf CLK_TCK)
cpu=0
while kill -0 "$pid" 2>/dev/null; do
    read -r -a stat <"/proc/$pid/stat" || break
    cpu=$(( (stat[13] + stat[14]) / ticks ))
    (( cpu >= budget )) && { kill -INT "$pid"; break; }
    sleep 5
done
set +e; wait "$pid"; rc=$?; set -e
grep -E '^#[0-9]+' "$scratch/$target.log" | tail -1
grep -E 'stat::|FINDING|ERROR:|Test unit written' "$scratch/$target.log"
echo "$target: cpu ${cpu} s, rc $rc, corpus $(ls "$scratch/$target" | wc -l) new files"
