# Shared helpers for scripts/bench/*.sh. Source it; it does not run anything by itself.
#
#   bench_init SUITE            sets BENCH_DIR (default ${TMPDIR:-/tmp}/stackbackup-bench),
#                               BENCH_RAW (the raw TSV of this suite), checks for tools
#   bench_measure TOOL PHASE ROUND SIZE_PATH -- CMD...
#                               drops the page cache (when allowed), runs CMD under
#                               /usr/bin/time, appends one row to BENCH_RAW:
#                               wall, user, sys, peak RSS, size of SIZE_PATH before and
#                               after ("-" for no size); CMD's output goes to a log file
#   bench_record TOOL PHASE ROUND KEY VALUE
#                               appends an extra figure (e.g. rows, dump size) to BENCH_RAW
#   bench_size PATH             bytes under PATH (du -sb), 0 when missing
#   bench_ratio A B             A/B with two decimals, "n/a" when B is 0
#   bench_drop_caches           sync + drop_caches when root and permitted, else a no-op;
#                               BENCH_NO_DROP=1 skips it (for a deliberately warm phase)
#   bench_summarize TITLE       median table (Markdown on stdout) + $BENCH_DIR/results-SUITE.json
#
# Rows of BENCH_RAW (tab separated):
#   m  tool phase round wall_s user_s sys_s rss_kb size_before size_after
#   x  tool phase round key value

BENCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

bench_log() { echo "bench: $*" >&2; }
bench_die() { bench_log "$*"; exit 1; }

bench_init() {
    BENCH_SUITE=$1
    BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/stackbackup-bench}
    mkdir -p "$BENCH_DIR/logs"
    BENCH_RAW="$BENCH_DIR/raw-$BENCH_SUITE.tsv"
    : > "$BENCH_RAW"
    [[ -x /usr/bin/time ]] || bench_die "/usr/bin/time (GNU time) is needed: apt-get install time"
    BENCH_CAN_DROP=0
    if [[ $(id -u) -eq 0 && -w /proc/sys/vm/drop_caches ]] && (sync && echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null; then
        BENCH_CAN_DROP=1
        bench_log "page cache is dropped before every measured phase"
    else
        bench_log "cannot drop the page cache (needs root and a writable /proc/sys/vm/drop_caches): reads may come from cache"
    fi
    export BENCH_DIR BENCH_RAW BENCH_SUITE BENCH_CAN_DROP
}

bench_drop_caches() {
    if [[ ${BENCH_CAN_DROP:-0} -eq 1 && ${BENCH_NO_DROP:-0} -ne 1 ]]; then
        sync
        echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
    fi
}

bench_size() {
    if [[ -e $1 ]]; then du -sb "$1" | cut -f1; else echo 0; fi
}

bench_ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'
}

bench_measure() {
    local tool=$1 phase=$2 round=$3 size_path=$4
    shift 4
    [[ ${1:-} == "--" ]] && shift
    local log="$BENCH_DIR/logs/$BENCH_SUITE-$tool-$phase-$round.log"
    local timing="$BENCH_DIR/logs/.time.$$"
    local before=- after=-
    [[ $size_path != - ]] && before=$(bench_size "$size_path")
    bench_drop_caches
    if ! /usr/bin/time -f '%e %U %S %M' -o "$timing" "$@" > "$log" 2>&1; then
        bench_log "$tool $phase (round $round) failed: $*"
        tail -n 20 "$log" >&2
        return 1
    fi
    [[ $size_path != - ]] && after=$(bench_size "$size_path")
    local wall user sys rss
    read -r wall user sys rss < <(tail -n 1 "$timing")
    rm -f "$timing"
    printf 'm\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$tool" "$phase" "$round" "$wall" "$user" "$sys" "$rss" "$before" "$after" >> "$BENCH_RAW"
    bench_log "$(printf '%-12s %-10s r%s  wall %6ss  cpu %6ss  rss %6d MB  size %s' \
        "$tool" "$phase" "$round" "$wall" \
        "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" \
        "$(( rss / 1024 ))" "$after")"
}

bench_record() {
    printf 'x\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$BENCH_RAW"
}

# bench_summarize TITLE [REFERENCE_TOOL]: prints the Markdown table and writes the JSON.
bench_summarize() {
    python3 "$BENCH_LIB_DIR/summarize.py" "$BENCH_RAW" "$BENCH_DIR/results-$BENCH_SUITE.json" \
        "$1" "${2:-stackbackup}"
}
