#!/usr/bin/env bash
# PostgreSQL benchmark: stackbackup's COPY dumps vs pg_dump/pg_restore, and night-2 growth.
#
#   scripts/bench/postgres.sh [--rows N] [--rounds N] [--update-pct P] [--insert-pct P]
#                             [--start-cluster] [--keep]
#
# The server comes from the PG* environment (PGHOST, PGPORT, PGUSER, ...); --start-cluster
# starts a throwaway one under $BENCH_DIR/pg with scripts/pg-cluster.sh and stops it at the end.
# A scratch database `bench_umami_base` gets a umami-shaped `website_event` table (uuid primary
# key in random order against the insertion order, timestamps, short text columns, 6 indexes),
# --rows rows (default 2,000,000). Every round copies it (CREATE DATABASE ... TEMPLATE) to
# `bench_umami` and runs, tools interleaved:
#   dump     stackbackup backup db (fresh repository), pg_dump -Fc, pg_dump -Fd -j 2,
#            pg_dump -Fp | zstd -3 -T2, and pg_dump -Fp fed to restic --stdin and borg create -
#            (restic also backs up the -Fc file); size = the result or the repository
#   restore  stackbackup restore bench_umami --into NEW vs pg_restore -j 2 (from the -Fd dump)
#            into a new database; both checked by row count and an order-independent checksum
#   night2   after updating --update-pct % of rows (default 2) and inserting --insert-pct %
#            (default 1): the second stackbackup dump, a fresh pg_dump -Fc (its size is the
#            yardstick), that file backed up into the same restic repository, and pg_dump -Fp
#            into restic and borg again; "growth" = added bytes / size of the fresh -Fc dump.
#            The updates are spread uniformly over the table: the worst case for any chunking.
#   night3   a day shaped like umami's traffic: --insert-pct % new events (random uuids, the
#            day's timestamps) and --update-pct % of rows edited among the newest ones; the
#            same backups again, growth against a fresh -Fc dump as in night2
#   regression  with --regression-db NAME (PostgreSQL's own regression database, see
#            scripts/regress-db.sh): stackbackup backup db + restore --into vs pg_dump -Fc +
#            pg_restore -j 2, each timed, and whether each restore succeeded
# With STACKBACKUP_BEFORE=/path/to/an/older/stackbackup, that binary's backup and restore are
# measured beside the current one (tool "stackbackup-before"), on the same data.
# The scratch databases are dropped at the end (the base too unless --keep).
#
# Environment: BENCH_DIR, STACKBACKUP as in volumes.sh. Writes $BENCH_DIR/results-postgres.json.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

rows=2000000 rounds=3 update_pct=2 insert_pct=1 start_cluster=0 keep=0 regression_db="" nights=1
while [[ $# -gt 0 ]]; do
    case $1 in
        --rows) rows=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --update-pct) update_pct=$2; shift 2 ;;
        --insert-pct) insert_pct=$2; shift 2 ;;
        --start-cluster) start_cluster=1; shift ;;
        --keep) keep=1; shift ;;
        --regression-db) regression_db=$2; shift 2 ;;
        --no-nights) nights=0; shift ;;
        -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
done

bench_init postgres
if [[ -n ${STACKBACKUP:-} ]]; then SB=$STACKBACKUP
else SB=$(ls -t "$root"/.build*/release/stackbackup 2>/dev/null | head -n 1 || command -v stackbackup || true)
fi
[[ -n $SB && -x $SB ]] || bench_die "no stackbackup binary: swift build -c release, or set STACKBACKUP"
"$SB" backup db --help > /dev/null 2>&1 || bench_die "$SB has no 'backup db' command yet"
for t in pg_dump pg_restore psql zstd restic borg; do
    command -v "$t" > /dev/null || bench_die "$t is not installed"
done

cluster="$BENCH_DIR/pg"
cleanup() {
    if [[ ${cleanup_dbs:-0} -eq 1 ]]; then
        for db in bench_umami bench_restore_sb bench_restore_sbb bench_restore_pg bench_regress_sb bench_regress_sbb bench_regress_pg; do
            psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" > /dev/null 2>&1 || true
        done
        [[ $keep -eq 1 ]] || psql -qX -d postgres -c "DROP DATABASE IF EXISTS bench_umami_base" > /dev/null 2>&1 || true
    fi
    if [[ $start_cluster -eq 1 ]]; then bash "$root/scripts/pg-cluster.sh" stop "$cluster" || true; fi
}
trap cleanup EXIT
if [[ $start_cluster -eq 1 ]]; then
    eval "$(bash "$root/scripts/pg-cluster.sh" start "$cluster")"
fi
[[ -n ${PGHOST:-}${PGPORT:-} ]] || bench_die "no server: set PGHOST/PGPORT/PGUSER (or use --start-cluster)"
export PGDATABASE=postgres
psql -qX -c 'SELECT 1' > /dev/null || bench_die "cannot connect to PostgreSQL at ${PGHOST:-}:${PGPORT:-}"
cleanup_dbs=1

sql() { psql -qXAt -v ON_ERROR_STOP=1 "$@"; }

# --- the base database --------------------------------------------------------------------
have_rows=$(sql -d bench_umami_base -c 'SELECT count(*) FROM website_event' 2>/dev/null || echo 0)
if [[ $have_rows != "$rows" ]]; then
    bench_log "creating bench_umami_base with $rows rows"
    sql -c "DROP DATABASE IF EXISTS bench_umami_base" -c "CREATE DATABASE bench_umami_base"
    sql -d bench_umami_base <<SQL
CREATE TABLE website_event (
    event_id        uuid PRIMARY KEY,
    website_id      uuid NOT NULL,
    session_id      uuid NOT NULL,
    visit_id        uuid NOT NULL,
    created_at      timestamptz DEFAULT now(),
    url_path        varchar(500) NOT NULL,
    url_query       varchar(500),
    referrer_path   varchar(500),
    referrer_query  varchar(500),
    referrer_domain varchar(500),
    page_title      varchar(500),
    event_type      integer NOT NULL DEFAULT 1,
    event_name      varchar(50),
    tag             varchar(50)
);
-- Rows inserted in time order, keyed by hash-like uuids: physical order != key order, as in umami.
INSERT INTO website_event
SELECT md5('event' || i)::uuid,
       md5('site' || (i % 20))::uuid,
       md5('session' || (i / 7))::uuid,
       md5('visit' || (i / 5))::uuid,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1.3 seconds',
       (ARRAY['/', '/pricing', '/blog/', '/docs/getting-started', '/about', '/features/'])[1 + i % 6]
           || CASE WHEN i % 3 = 0 THEN (i % 997)::text ELSE '' END,
       CASE WHEN i % 4 = 0 THEN 'utm_source=newsletter&utm_campaign=c' || (i % 100) END,
       CASE WHEN i % 5 < 2 THEN (ARRAY['/search', '/', '/r/selfhosted/comments/', '/news'])[1 + i % 4] END,
       CASE WHEN i % 11 = 0 THEN 'q=' || md5(i::text) END,
       CASE WHEN i % 5 < 2 THEN (ARRAY['www.google.com', 'duckduckgo.com', 'www.reddit.com', 'news.ycombinator.com'])[1 + i % 4] END,
       'Stack docs - page ' || (i % 5000),
       1 + (i % 10 = 0)::int,
       CASE WHEN i % 10 = 0 THEN (ARRAY['signup-click', 'download', 'copy-snippet'])[1 + i % 3] END,
       CASE WHEN i % 50 = 0 THEN 'beta' END
FROM generate_series(1, $rows) AS i;
CREATE INDEX website_event_created_at_idx ON website_event (created_at);
CREATE INDEX website_event_session_id_idx ON website_event (session_id);
CREATE INDEX website_event_visit_id_idx ON website_event (visit_id);
CREATE INDEX website_event_website_id_idx ON website_event (website_id);
CREATE INDEX website_event_website_id_created_at_idx ON website_event (website_id, created_at);
CREATE INDEX website_event_website_id_session_id_created_at_idx ON website_event (website_id, session_id, created_at);
VACUUM ANALYZE website_event;
SQL
fi
db_bytes=$(sql -d bench_umami_base -c "SELECT pg_database_size('bench_umami_base')")
bench_log "bench_umami_base: $rows rows, $((db_bytes / 1000000)) MB on disk; stackbackup: $SB"

# Order-independent content checksum: count, and the sum of per-row md5 prefixes.
checksum() {
    sql -d "$1" -c "SELECT count(*) || ':' || coalesce(sum(('x' || substr(md5(w::text), 1, 15))::bit(60)::bigint), 0)
                    FROM website_event w"
}

pwfile="$BENCH_DIR/password"
echo "bench-passphrase-not-secret" > "$pwfile"
chmod 600 "$pwfile"
export RESTIC_PASSWORD_FILE="$pwfile"
BORG_PASSPHRASE=$(cat "$pwfile")
export BORG_PASSPHRASE
export BORG_CACHE_DIR="$BENCH_DIR/borg-cache" BORG_CONFIG_DIR="$BENCH_DIR/borg-config"
export BORG_SECURITY_DIR="$BENCH_DIR/borg-security"
dumps="$BENCH_DIR/dumps"
sb_repo="$BENCH_DIR/repo-pg-stackbackup" sbb_repo="$BENCH_DIR/repo-pg-stackbackup-before"
SBB=${STACKBACKUP_BEFORE:-}
rfc_repo="$BENCH_DIR/repo-pg-restic-fc" rfp_repo="$BENCH_DIR/repo-pg-restic-fp" bfp_repo="$BENCH_DIR/repo-pg-borg-fp"
restic_cache="$BENCH_DIR/restic-cache-pg"

# added bytes of the last measured row (size_after - size_before)
last_added() { tail -n 1 "$BENCH_RAW" | awk -F'\t' '{ print $10 - $9 }'; }

fresh_repos() {
    rm -rf "$sb_repo" "$sbb_repo" "$rfc_repo" "$rfp_repo" "$bfp_repo" "$restic_cache" "$dumps" \
        "$BORG_CACHE_DIR" "$BORG_CONFIG_DIR" "$BORG_SECURITY_DIR"
    mkdir -p "$dumps"
    "$SB" init --repo "$sb_repo" --password-file "$pwfile" > /dev/null 2>&1
    if [[ -n $SBB ]]; then "$SBB" init --repo "$sbb_repo" --password-file "$pwfile" > /dev/null 2>&1; fi
    restic -r "$rfc_repo" --cache-dir "$restic_cache" init --repository-version 2 > /dev/null
    restic -r "$rfp_repo" --cache-dir "$restic_cache" init --repository-version 2 > /dev/null
    borg init -e repokey-blake2 "$bfp_repo" > /dev/null 2>&1
}

sb_dump()    { bench_measure stackbackup "$1" "$2" "$sb_repo" -- "$SB" backup db bench_umami --jobs 2 --repo "$sb_repo" --password-file "$pwfile" --json; }
fc_dump()    { rm -f "$dumps/umami.dump"; bench_measure pg_dump-Fc "$1" "$2" "$dumps/umami.dump" -- pg_dump -Fc -d bench_umami -f "$dumps/umami.dump"; }
restic_fc()  { bench_measure restic-Fc-file "$1" "$2" "$rfc_repo" -- restic -r "$rfc_repo" --cache-dir "$restic_cache" --compression auto backup --host bench "$dumps/umami.dump"; }
restic_fp()  { bench_measure restic-Fp-stdin "$1" "$2" "$rfp_repo" -- bash -o pipefail -c \
                   'pg_dump -Fp -d bench_umami | restic -r "$1" --cache-dir "$2" --compression auto backup --host bench --stdin --stdin-filename bench_umami.sql' _ "$rfp_repo" "$restic_cache"; }
borg_fp()    { bench_measure borg-Fp-stdin "$1" "$2" "$bfp_repo" -- bash -o pipefail -c \
                   'pg_dump -Fp -d bench_umami | borg create --compression zstd,3 "$1::$2" -' _ "$bfp_repo" "$1"; }

# The backups of a later night (PHASE, ROUND): each tool again, growth against a fresh -Fc dump.
night_backups() {
    local phase=$1 r=$2 sb_added fresh_fc rfc_added rfp_added bfp_added
    sb_dump "$phase" "$r";  sb_added=$(last_added)
    fc_dump "$phase" "$r";  fresh_fc=$(stat -c %s "$dumps/umami.dump")
    restic_fc "$phase" "$r"; rfc_added=$(last_added)
    restic_fp "$phase" "$r"; rfp_added=$(last_added)
    borg_fp "$phase" "$r";   bfp_added=$(last_added)
    bench_record all "$phase" "$r" fresh_Fc_dump_bytes "$fresh_fc"
    for pair in "stackbackup $sb_added" "restic-Fc-file $rfc_added" "restic-Fp-stdin $rfp_added" "borg-Fp-stdin $bfp_added"; do
        set -- $pair
        bench_record "$1" "$phase" "$r" growth_vs_fresh_Fc "$(awk -v a="$2" -v b="$fresh_fc" 'BEGIN { printf "%.4f", a / b }')"
    done
    bench_log "$phase growth (added / fresh -Fc dump of $fresh_fc bytes): stackbackup $(bench_ratio "$sb_added" "$fresh_fc"), restic -Fc $(bench_ratio "$rfc_added" "$fresh_fc"), restic -Fp $(bench_ratio "$rfp_added" "$fresh_fc"), borg -Fp $(bench_ratio "$bfp_added" "$fresh_fc")"
}

for ((r = 1; r <= rounds; r++)); do
    bench_log "round $r of $rounds"
    sql -c "DROP DATABASE IF EXISTS bench_umami" -c "CREATE DATABASE bench_umami TEMPLATE bench_umami_base"
    fresh_repos
    expect=$(checksum bench_umami)

    # dump (night 1)
    sb_dump dump "$r"
    if [[ -n $SBB ]]; then
        bench_measure stackbackup-before dump "$r" "$sbb_repo" -- "$SBB" backup db bench_umami --jobs 2 --repo "$sbb_repo" --password-file "$pwfile" --json
    fi
    fc_dump dump "$r"
    bench_measure pg_dump-Fd-j2 dump "$r" "$dumps/umami.dir" -- pg_dump -Fd -j 2 -d bench_umami -f "$dumps/umami.dir"
    bench_measure pg_dump-Fp-zstd dump "$r" "$dumps/umami.sql.zst" -- bash -o pipefail -c \
        'pg_dump -Fp -d bench_umami | zstd -q -3 -T2 -o "$1"' _ "$dumps/umami.sql.zst"
    restic_fc dump "$r"
    restic_fp dump "$r"
    borg_fp dump "$r"

    # restore
    sql -c "DROP DATABASE IF EXISTS bench_restore_sb" -c "DROP DATABASE IF EXISTS bench_restore_sbb" -c "DROP DATABASE IF EXISTS bench_restore_pg"
    bench_measure stackbackup restore "$r" - -- \
        "$SB" restore bench_umami --into bench_restore_sb --jobs 2 --repo "$sb_repo" --password-file "$pwfile"
    restored=(bench_restore_sb bench_restore_pg)
    if [[ -n $SBB ]]; then
        bench_measure stackbackup-before restore "$r" - -- \
            "$SBB" restore bench_umami --into bench_restore_sbb --jobs 2 --repo "$sbb_repo" --password-file "$pwfile"
        restored+=(bench_restore_sbb)
    fi
    sql -c "CREATE DATABASE bench_restore_pg"
    bench_measure pg_restore-j2 restore "$r" - -- pg_restore -j 2 -d bench_restore_pg "$dumps/umami.dir"
    for db in "${restored[@]}"; do
        got=$(checksum "$db")
        [[ $got == "$expect" ]] || bench_die "$db differs from the source: $got, expected $expect"
    done
    bench_log "the restores match the source ($expect)"
    for db in "${restored[@]}"; do sql -c "DROP DATABASE $db"; done

    # The regression database: PostgreSQL's own test objects, backed up and restored by each tool.
    if [[ -n $regression_db ]]; then
        for tool in stackbackup stackbackup-before pg_dump+pg_restore; do
            case $tool in
                stackbackup) bin=$SB repo=$sb_repo target=bench_regress_sb ;;
                stackbackup-before) [[ -n $SBB ]] || continue; bin=$SBB repo=$sbb_repo target=bench_regress_sbb ;;
                *) target=bench_regress_pg ;;
            esac
            sql -c "DROP DATABASE IF EXISTS $target"
            if [[ $tool == pg_dump+pg_restore ]]; then
                rm -f "$dumps/regression.dump"
                bench_measure "$tool" regression-dump "$r" "$dumps/regression.dump" -- pg_dump -Fc -d "$regression_db" -f "$dumps/regression.dump"
                sql -c "CREATE DATABASE $target"
                # pg_restore reports errors and carries on; --exit-on-error makes a failure visible.
                status=0
                bench_measure "$tool" regression-restore "$r" - -- pg_restore --exit-on-error -j 2 -d "$target" "$dumps/regression.dump" || status=$?
            else
                bench_measure "$tool" regression-dump "$r" "$repo" -- "$bin" backup db "$regression_db" --jobs 2 --repo "$repo" --password-file "$pwfile" --json
                status=0
                bench_measure "$tool" regression-restore "$r" - -- "$bin" restore "$regression_db" --into "$target" --jobs 2 --repo "$repo" --password-file "$pwfile" || status=$?
            fi
            bench_record "$tool" regression-restore "$r" succeeded "$([[ $status -eq 0 ]] && echo 1 || echo 0)"
            bench_log "regression database through $tool: restore exit $status"
            sql -c "DROP DATABASE IF EXISTS $target"
        done
    fi
    [[ $nights -eq 1 ]] || { sql -c "DROP DATABASE bench_umami"; continue; }

    # night 2
    sql -d bench_umami <<SQL
UPDATE website_event SET page_title = page_title || ' (edited)', tag = 'n2'
 WHERE ('x' || substr(md5(event_id::text), 1, 15))::bit(60)::bigint % 100 < $update_pct;
INSERT INTO website_event (event_id, website_id, session_id, visit_id, created_at, url_path, page_title)
SELECT md5('event' || i)::uuid, md5('site' || (i % 20))::uuid, md5('session' || (i / 7))::uuid,
       md5('visit' || (i / 5))::uuid, timestamptz '2024-01-01 00:00:00+00' + i * interval '1.3 seconds',
       '/night2/' || (i % 100), 'Stack docs - new page ' || (i % 50)
FROM generate_series($rows + 1, $rows + $rows * $insert_pct / 100) AS i;
VACUUM ANALYZE website_event;
SQL
    night_backups night2 "$r"
    # night 3: a day of umami-shaped traffic. Events are only ever inserted (new random
    # uuids, the day's timestamps) and the edits touch the newest rows (sessions still open).
    sql -d bench_umami <<SQL
UPDATE website_event SET tag = 'n3'
 WHERE created_at >= (SELECT created_at FROM website_event ORDER BY created_at DESC
                      OFFSET ($rows * $update_pct / 100) LIMIT 1);
INSERT INTO website_event (event_id, website_id, session_id, visit_id, created_at, url_path, page_title)
SELECT md5('night3-event' || i)::uuid, md5('site' || (i % 20))::uuid, md5('session' || (i / 7))::uuid,
       md5('visit' || (i / 5))::uuid, timestamptz '2024-01-01 00:00:00+00' + i * interval '1.3 seconds',
       '/night3/' || (i % 100), 'Stack docs - night 3 page ' || (i % 50)
FROM generate_series($rows * (100 + $insert_pct) / 100 + 1, $rows * (100 + 2 * $insert_pct) / 100) AS i;
VACUUM ANALYZE website_event;
SQL
    night_backups night3 "$r"
    sql -c "DROP DATABASE bench_umami"
done
[[ $keep -eq 1 ]] || rm -rf "$sb_repo" "$rfc_repo" "$rfp_repo" "$bfp_repo" "$restic_cache" "$dumps" "$BORG_CACHE_DIR"

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
bench_summarize "postgres: website_event $rows rows ($((db_bytes / 1000000)) MB on disk), $rounds rounds, night 2 = ${update_pct}% updated + ${insert_pct}% inserted, $(date -u +%F), $(nproc) cores ($cpu)"
