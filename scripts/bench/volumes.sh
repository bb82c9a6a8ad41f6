#!/usr/bin/env bash
# Volume backup benchmark: stackbackup vs restic vs borg on a generated tree.
#
#   scripts/bench/volumes.sh [--scale S] [--rounds N] [--tools "stackbackup restic borg"]
#                            [--no-verify] [--keep] [--sb-init-args "--scrypt-log-n 15"]
#
# Each round, for each tool in turn (interleaved: stackbackup, restic, borg, next round):
#   initial        first backup into a fresh repository
#   nochange       rerun with nothing changed (page cache dropped: cold metadata)
#   nochange-warm  the same again at once, metadata in cache (not dropped)
#   change         rerun after appending 1 MB to one big file and touching 10 small files
#   restore        restore of the latest snapshot into an empty folder
# then the change is undone (truncate, mtimes put back) so the next tool sees the same tree.
# Round 1 checks each restore with `diff -r` (unless --no-verify).
#
# Environment: BENCH_DIR (work folder; default ${TMPDIR:-/tmp}/stackbackup-bench),
# STACKBACKUP (binary; default: the newest .build*/release/stackbackup of this checkout,
# else stackbackup on PATH). Writes $BENCH_DIR/results-volumes.json and prints Markdown.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

scale=1.0 rounds=3 tools="stackbackup restic borg" verify=1 keep=0 sb_init_args=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --scale) scale=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --tools) tools=$2; shift 2 ;;
        --no-verify) verify=0; shift ;;
        --keep) keep=1; shift ;;
        --sb-init-args) sb_init_args=$2; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
done

find_stackbackup() {
    if [[ -n ${STACKBACKUP:-} ]]; then echo "$STACKBACKUP"; return; fi
    local newest
    newest=$(ls -t "$root"/.build*/release/stackbackup 2>/dev/null | head -n 1 || true)
    if [[ -n $newest ]]; then echo "$newest"; return; fi
    command -v stackbackup || bench_die "no stackbackup binary: swift build -c release, or set STACKBACKUP"
}

bench_init volumes
SB=$(find_stackbackup)
for t in $tools; do
    case $t in
        stackbackup) [[ -x $SB ]] || bench_die "stackbackup binary $SB is not executable" ;;
        restic|borg) command -v "$t" >/dev/null || bench_die "$t is not installed" ;;
        *) bench_die "unknown tool $t" ;;
    esac
done

tree="$BENCH_DIR/tree-$scale"
"$here/gen-tree.sh" "$tree" "$scale"
tree_bytes=$(bench_size "$tree")
tree_files=$(find "$tree" -type f | wc -l)
bench_record all initial 0 input_bytes "$tree_bytes"
bench_record all restore 0 input_bytes "$tree_bytes"
bench_log "tree $tree: $tree_files files, $((tree_bytes / 1000000)) MB; stackbackup: $SB"

pwfile="$BENCH_DIR/password"
echo "bench-passphrase-not-secret" > "$pwfile"
chmod 600 "$pwfile"
export RESTIC_PASSWORD_FILE="$pwfile"
BORG_PASSPHRASE=$(cat "$pwfile")
export BORG_PASSPHRASE
export BORG_CACHE_DIR="$BENCH_DIR/borg-cache" BORG_CONFIG_DIR="$BENCH_DIR/borg-config"
export BORG_SECURITY_DIR="$BENCH_DIR/borg-security"
restic_cache="$BENCH_DIR/restic-cache"

# The small change: the first big file, 10 small files spread over the tree.
big_file=$(find "$tree/photos" -type f -name '*.jpg' | sort | head -n 1)
big_size=$(stat -c %s "$big_file")
small_count=$(find "$tree/small" -type f | wc -l)
mapfile -t small_files < <(find "$tree/small" -type f | sort \
    | awk -v step=$(( small_count / 10 > 0 ? small_count / 10 : 1 )) '(NR - 1) % step == 0' | head -n 10)
orig_mtime=$(stat -c %Y "$big_file")

apply_change() {
    # Process substitution: openssl's SIGPIPE must not trip pipefail.
    head -c 1048576 < <(openssl enc -aes-256-ctr -nosalt -K "$(printf '%064d' 7)" \
        -iv "$(printf '%032d' 0)" -in /dev/zero 2>/dev/null) >> "$big_file"
    touch "${small_files[@]}"
}

undo_change() {
    truncate -s "$big_size" "$big_file"
    touch -d "@$orig_mtime" "$big_file"
    local f
    for f in "${small_files[@]}"; do touch -d "@$orig_mtime" "$f"; done
}
trap undo_change EXIT

# Where each tool puts the restored tree under its target folder.
restored_root() {
    local tool=$1 target=$2
    case $tool in
        stackbackup) echo "$target" ;;
        restic|borg) echo "$target${tree}" ;;
    esac
}

check_restore() {
    local tool=$1 target=$2 round=$3 got
    got=$(restored_root "$tool" "$target")
    [[ -d $got ]] || got=$(find "$target" -type d -name "$(basename "$tree")" | head -n 1)
    [[ -n $got && -d $got ]] || bench_die "$tool restore: cannot find the restored tree under $target"
    local n
    n=$(find "$got" -type f | wc -l)
    [[ $n -eq $tree_files ]] || bench_die "$tool restore: $n files restored, expected $tree_files"
    if [[ $verify -eq 1 && $round -eq 1 ]]; then
        apply_change   # the restored snapshot is the one taken after the change
        if diff -r "$tree" "$got" > "$BENCH_DIR/logs/diff-$tool.txt" 2>&1; then
            bench_log "$tool restore identical to the tree (diff -r)"
        else
            undo_change
            bench_die "$tool restore differs from the tree: $BENCH_DIR/logs/diff-$tool.txt"
        fi
        undo_change
    fi
}

run_stackbackup() {
    local r=$1 repo="$BENCH_DIR/repo-stackbackup" target="$BENCH_DIR/restore-stackbackup"
    rm -rf "$repo" "$target"
    # shellcheck disable=SC2086
    "$SB" init --repo "$repo" --password-file "$pwfile" $sb_init_args > /dev/null 2>&1
    local b=("$SB" backup path "$tree" --name bench --repo "$repo" --password-file "$pwfile" --json)
    bench_measure stackbackup initial "$r" "$repo" -- "${b[@]}"
    bench_measure stackbackup nochange "$r" "$repo" -- "${b[@]}"
    BENCH_NO_DROP=1 bench_measure stackbackup nochange-warm "$r" "$repo" -- "${b[@]}"
    apply_change
    bench_measure stackbackup change "$r" "$repo" -- "${b[@]}"
    undo_change
    bench_measure stackbackup restore "$r" "$repo" -- \
        "$SB" restore bench:latest --target "$target" --repo "$repo" --password-file "$pwfile"
    check_restore stackbackup "$target" "$r"
    rm -rf "$target"
}

run_restic() {
    local r=$1 repo="$BENCH_DIR/repo-restic" target="$BENCH_DIR/restore-restic"
    rm -rf "$repo" "$target" "$restic_cache"
    restic -r "$repo" --cache-dir "$restic_cache" init --repository-version 2 > /dev/null
    local b=(restic -r "$repo" --cache-dir "$restic_cache" --compression auto backup --host bench "$tree")
    bench_measure restic initial "$r" "$repo" -- "${b[@]}"
    bench_measure restic nochange "$r" "$repo" -- "${b[@]}"
    BENCH_NO_DROP=1 bench_measure restic nochange-warm "$r" "$repo" -- "${b[@]}"
    apply_change
    bench_measure restic change "$r" "$repo" -- "${b[@]}"
    undo_change
    bench_measure restic restore "$r" "$repo" -- \
        restic -r "$repo" --cache-dir "$restic_cache" restore latest --target "$target"
    check_restore restic "$target" "$r"
    rm -rf "$target"
}

run_borg() {
    local r=$1 repo="$BENCH_DIR/repo-borg" target="$BENCH_DIR/restore-borg"
    rm -rf "$repo" "$target" "$BORG_CACHE_DIR" "$BORG_CONFIG_DIR" "$BORG_SECURITY_DIR"
    borg init -e repokey-blake2 "$repo" > /dev/null 2>&1
    local b=(borg create --compression zstd,3)
    bench_measure borg initial "$r" "$repo" -- "${b[@]}" "$repo::initial" "$tree"
    bench_measure borg nochange "$r" "$repo" -- "${b[@]}" "$repo::nochange" "$tree"
    BENCH_NO_DROP=1 bench_measure borg nochange-warm "$r" "$repo" -- "${b[@]}" "$repo::nochange-warm" "$tree"
    apply_change
    bench_measure borg change "$r" "$repo" -- "${b[@]}" "$repo::change" "$tree"
    undo_change
    mkdir -p "$target"
    bench_measure borg restore "$r" "$repo" -- \
        bash -c 'cd "$1" && exec borg extract "$2"' _ "$target" "$repo::change"
    check_restore borg "$target" "$r"
    rm -rf "$target"
}

start=$(date +%s)
for ((r = 1; r <= rounds; r++)); do
    bench_log "round $r of $rounds"
    for t in $tools; do "run_$t" "$r"; done
done
if [[ $keep -eq 0 ]]; then
    rm -rf "$BENCH_DIR"/repo-stackbackup "$BENCH_DIR"/repo-restic "$BENCH_DIR"/repo-borg "$restic_cache" "$BORG_CACHE_DIR"
fi
bench_log "done in $(( $(date +%s) - start )) s"

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
bench_summarize "volumes: scale $scale ($tree_files files, $((tree_bytes / 1000000)) MB), $rounds rounds, $(date -u +%F), $(nproc) cores ($cpu)"
