#!/usr/bin/env bash
# Offsite benchmark: backup and restore throughput of stackbackup to a local S3
# server (moto_server on loopback) vs to a local folder, and restic's S3 backend
# against the same server; plus `stackbackup copy` local -> S3. Ratios reported.
#
#   scripts/bench/offsite.sh [--mb 256] [--files 8] [--keep]
#
# Data: --files random (incompressible) files totalling --mb MiB, plus 200 small
# text files. Environment: BENCH_DIR (work folder, default ${TMPDIR:-/tmp}/stackbackup-bench-offsite),
# STACKBACKUP (binary; default the newest .build*/release/stackbackup, else .build*/debug).
# Needs moto_server (pip install "moto[server]") and, for the restic rows, restic.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
mb=256 files=8 keep=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --mb) mb=$2; shift 2 ;;
        --files) files=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
done

log() { echo "offsite: $*" >&2; }
die() { log "$*"; exit 1; }

SB=${STACKBACKUP:-$(ls -t "$root"/.build*/release/stackbackup 2>/dev/null | head -n 1 || true)}
[[ -n $SB ]] || SB=$(ls -t "$root"/.build*/debug/stackbackup 2>/dev/null | head -n 1 || true)
[[ -x $SB ]] || die "no stackbackup binary: swift build -c release, or set STACKBACKUP"
command -v moto_server >/dev/null || die "moto_server is missing: pip install 'moto[server]'"
have_restic=0; command -v restic >/dev/null && have_restic=1

work=${BENCH_DIR:-${TMPDIR:-/tmp}/stackbackup-bench-offsite}
rm -rf "$work"; mkdir -p "$work/data"
moto_pid=""
cleanup() {
    [[ -n $moto_pid ]] && { kill "$moto_pid" 2>/dev/null; sleep 0.5; kill -9 "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; }
    [[ $keep -eq 1 ]] || rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
moto_server -H 127.0.0.1 -p "$port" > "$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1
endpoint="http://127.0.0.1:$port"

log "generating $mb MiB in $files files"
per=$(( mb / files ))
for i in $(seq 1 "$files"); do head -c "$(( per << 20 ))" /dev/urandom > "$work/data/blob$i.bin"; done
mkdir -p "$work/data/notes"
for i in $(seq 1 200); do echo "note $i $(date +%s%N)" > "$work/data/notes/n$i.txt"; done
bytes=$(du -sb "$work/data" | cut -f1)
echo pass > "$work/pass"
export RESTIC_PASSWORD_FILE="$work/pass"

declare -A secs
measure() { # name cmd...
    local name=$1; shift
    local start end
    start=$(date +%s.%N)
    "$@" > "$work/$name.log" 2>&1 || { tail -20 "$work/$name.log" >&2; die "$name failed"; }
    end=$(date +%s.%N)
    secs[$name]=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
    log "$(printf '%-22s %7ss  %7s MB/s' "$name" "${secs[$name]}" "$(rate "${secs[$name]}")")"
}
rate() { awk -v b="$bytes" -v s="$1" 'BEGIN { if (s <= 0) print "n/a"; else printf "%.1f", b / 1e6 / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "n/a"; else printf "%.2f", a / b }'; }
mkbucket() { python3 - "$endpoint" "$1" <<'PY'
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/" + sys.argv[2], method="PUT")).read()
PY
}

sb_local="$work/sb-local"; sb_s3="s3:$endpoint/sb-bench/repo"
"$SB" init --repo "$sb_local" --password-file "$work/pass" --scrypt-log-n 12 > /dev/null
"$SB" init --repo "$sb_s3" --password-file "$work/pass" --scrypt-log-n 12 > /dev/null
measure sb-local-backup "$SB" backup path "$work/data" --name data --repo "$sb_local" --password-file "$work/pass" -q
measure sb-s3-backup "$SB" backup path "$work/data" --name data --repo "$sb_s3" --password-file "$work/pass" -q
measure sb-local-restore "$SB" restore data:latest --target "$work/r-sb-local" --repo "$sb_local" --password-file "$work/pass" -q
measure sb-s3-restore "$SB" restore data:latest --target "$work/r-sb-s3" --repo "$sb_s3" --password-file "$work/pass" -q
diff -r "$work/data" "$work/r-sb-s3" > /dev/null || die "the restore from S3 differs from the data"
sb_copy="s3:$endpoint/sb-copy/repo"
"$SB" init --repo "$sb_copy" --password-file "$work/pass" --scrypt-log-n 12 > /dev/null
measure sb-copy-local-to-s3 "$SB" copy --repo "$sb_local" --password-file "$work/pass" --to "$sb_copy" --to-password-file "$work/pass"
measure sb-copy-again "$SB" copy --repo "$sb_local" --password-file "$work/pass" --to "$sb_copy" --to-password-file "$work/pass"

if [[ $have_restic -eq 1 ]]; then
    mkbucket restic-bench
    restic init -r "$work/restic-local" > /dev/null
    restic init -r "s3:$endpoint/restic-bench/repo" > /dev/null
    measure restic-local-backup restic -r "$work/restic-local" backup "$work/data" -q
    measure restic-s3-backup restic -r "s3:$endpoint/restic-bench/repo" backup "$work/data" -q
    measure restic-local-restore restic -r "$work/restic-local" restore latest --target "$work/r-restic-local" -q
    measure restic-s3-restore restic -r "s3:$endpoint/restic-bench/repo" restore latest --target "$work/r-restic-s3" -q
fi

echo
echo "## Offsite throughput ($(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 }') MiB, moto_server on loopback)"
echo
echo "| phase | stackbackup s | MB/s | restic s | MB/s | stackbackup / restic time |"
echo "|---|---|---|---|---|---|"
for phase in local-backup s3-backup local-restore s3-restore; do
    sb=${secs[sb-$phase]}; rs=${secs[restic-$phase]:-0}
    echo "| $phase | $sb | $(rate "$sb") | $rs | $(rate "$rs") | $(ratio "$sb" "$rs") |"
done
echo "| copy local -> s3 | ${secs[sb-copy-local-to-s3]} | $(rate "${secs[sb-copy-local-to-s3]}") | | | |"
echo "| copy again (nothing to do) | ${secs[sb-copy-again]} | | | | |"
echo
echo "S3 vs local folder, stackbackup: backup $(ratio "${secs[sb-s3-backup]}" "${secs[sb-local-backup]}")x the time, restore $(ratio "${secs[sb-s3-restore]}" "${secs[sb-local-restore]}")x."
if [[ $have_restic -eq 1 ]]; then
    echo "S3 vs local folder, restic: backup $(ratio "${secs[restic-s3-backup]}" "${secs[restic-local-backup]}")x, restore $(ratio "${secs[restic-s3-restore]}" "${secs[restic-local-restore]}")x."
fi
