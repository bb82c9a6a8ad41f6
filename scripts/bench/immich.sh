#!/usr/bin/env bash
# Immich benchmark: stackbackup against pg_dump/pg_restore on the PostgreSQL the Immich image
# runs (18 with pgvector), with CLIP embeddings as pgvector's vector(512) and as real[].
#
#   scripts/bench/immich.sh [--assets N] [--faces N] [--places N] [--rounds N]
#                           [--variants vector,real] [--hnsw] [--bin DIR] [--start-cluster] [--keep]
#
# The server comes from PGHOST/PGPORT/PGUSER, its programs (pg_dump, pg_restore, psql) from
# --bin DIR (default $STACKBACKUP_TEST_PG18_BIN, else `scripts/pg-wheel.sh bin 18`);
# --start-cluster starts a throwaway one from that folder under $BENCH_DIR/pg18
# (scripts/pg-cluster.sh start --bin) and stops it at the end.
# Per variant a database bench_immich_<variant> is built once by Tests/Fixtures/immich/immich.sql
# (--assets assets with exif and a smart_search embedding, default 270,000: ≈1.4 GB with vector,
# from 446 MB measured at 90,000 assets and 60,000 places; --faces faces with a face_search
# embedding, default a fifth of the assets; --places geodata_places rows, default 200,000 as
# Immich's cities500) and kept between runs when its parameters match (see the database
# comment). Variants:
#   vector   embedding vector(512), as Immich stores them
#   real     the same values as real[] (float4 arrays), the issue-19 baseline shape
# The HNSW indexes are left out unless --hnsw: building them takes minutes and is the same
# CREATE INDEX for both tools (pg_restore runs it in both), so it would hide the data path.
# Every round, tools interleaved, page cache dropped before each phase:
#   dump-VARIANT     stackbackup backup db (fresh repository, --jobs 2, pg_dump: from --bin),
#                    pg_dump -Fp | zstd -3 -T2, and pg_dump -Fd -j 2 (the input of pg_restore)
#   restore-VARIANT  stackbackup restore --into NEW (--jobs 2) vs pg_restore -j 2 from the -Fd
#                    dump into a new database; each restored database is compared with the
#                    source, table by table (row count and an order-independent checksum of the
#                    rows' text, vectors included) and by its list of valid indexes
# With STACKBACKUP_BEFORE=/path/to/an/older/stackbackup that binary is measured beside the
# current one (tool "stackbackup-before"), e.g. text COPY of vectors against binary COPY.
# The ratios asked for (ours ÷ theirs, wall time medians) are printed at the end and stored
# in the results JSON under "ratios_vs_pg".
#
# Environment: BENCH_DIR, STACKBACKUP as in postgres.sh. Writes $BENCH_DIR/results-immich.json.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

assets=270000 faces="" places=200000 rounds=3 variants=vector,real hnsw=false bin=${STACKBACKUP_TEST_PG18_BIN:-}
start_cluster=0 keep=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --assets) assets=$2; shift 2 ;;
        --faces) faces=$2; shift 2 ;;
        --places) places=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --variants) variants=$2; shift 2 ;;
        --hnsw) hnsw=true; shift ;;
        --bin) bin=$2; shift 2 ;;
        --start-cluster) start_cluster=1; shift ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
done
for n in "$assets" "${faces:-1}" "$places" "$rounds"; do
    [[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || { echo "--assets, --faces, --places and --rounds take a positive number, not '$n'" >&2; exit 64; }
done
faces=${faces:-$((assets / 5 > 0 ? assets / 5 : 1))}
IFS=, read -r -a variant_list <<< "$variants"
for v in "${variant_list[@]}"; do
    [[ $v == vector || $v == real ]] || { echo "--variants takes vector and/or real (comma separated), not '$v'" >&2; exit 64; }
done

bench_init immich
if [[ -z $bin ]]; then bin=$(bash "$root/scripts/pg-wheel.sh" bin 18 2>/dev/null || true); fi
[[ -n $bin && -x $bin/pg_dump && -x $bin/pg_restore && -x $bin/psql ]] ||
    bench_die "no PostgreSQL 18 programs: pass --bin DIR (the folder with its pg_dump, pg_restore, psql) or set STACKBACKUP_TEST_PG18_BIN"
if [[ -n ${STACKBACKUP:-} ]]; then SB=$STACKBACKUP
else SB=$(ls -t "$root"/.build*/release/stackbackup 2>/dev/null | head -n 1 || command -v stackbackup || true)
fi
[[ -n $SB && -x $SB ]] || bench_die "no stackbackup binary: swift build -c release, or set STACKBACKUP"
SBB=${STACKBACKUP_BEFORE:-}
command -v zstd > /dev/null || bench_die "zstd is not installed"

cluster="$BENCH_DIR/pg18"
psql_() { PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" "$bin/psql" -qXAt -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
    if [[ ${cleanup_dbs:-0} -eq 1 ]]; then
        for v in "${variant_list[@]}"; do
            for db in "bench_immich_${v}_sb" "bench_immich_${v}_sbb" "bench_immich_${v}_pg"; do
                psql_ -d postgres -c "DROP DATABASE IF EXISTS $db" > /dev/null 2>&1 || true
            done
            [[ $keep -eq 1 ]] || psql_ -d postgres -c "DROP DATABASE IF EXISTS bench_immich_$v" > /dev/null 2>&1 || true
        done
    fi
    if [[ $start_cluster -eq 1 ]]; then bash "$root/scripts/pg-cluster.sh" stop "$cluster" || true; fi
}
trap cleanup EXIT
if [[ $start_cluster -eq 1 ]]; then
    grep -q -- '--bin' "$root/scripts/pg-cluster.sh" || bench_die "--start-cluster needs scripts/pg-cluster.sh start --bin (branch helper-wheels)"
    eval "$(bash "$root/scripts/pg-cluster.sh" start "$cluster" --bin "$bin")"
fi
[[ -n ${PGHOST:-} && -n ${PGPORT:-} ]] || bench_die "no server: set PGHOST/PGPORT/PGUSER (or use --start-cluster)"
export PGHOST PGPORT PGUSER=${PGUSER:-postgres} PGDATABASE=postgres
server=$(psql_ -c 'SHOW server_version') || bench_die "cannot connect to PostgreSQL at $PGHOST:$PGPORT"
[[ ${server%%.*} == "$("$bin/pg_dump" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')" ]] ||
    bench_die "the server is PostgreSQL $server but $bin/pg_dump is $("$bin/pg_dump" --version): --bin must be the server's own programs"
psql_ -c "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'" | grep -q 1 || bench_die "the server at $PGHOST:$PGPORT has no pgvector"
cleanup_dbs=1

# --- the source databases -----------------------------------------------------------------
for v in "${variant_list[@]}"; do
    db=bench_immich_$v
    if [[ $v == vector ]]; then type='vector(512)' indexes=$hnsw; else type='real[]' indexes=false; fi
    want="immich.sql assets=$assets faces=$faces places=$places embedding_type=$type vector_indexes=$indexes"
    have=$(psql_ -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$db'")
    if [[ $have != "$want" ]]; then
        bench_log "creating $db: $want"
        started=$SECONDS
        psql_ -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE template0 ENCODING 'UTF8'"
        # Building the HNSW indexes of hundreds of thousands of rows needs memory to finish in minutes.
        PGOPTIONS="-c maintenance_work_mem=1GB" "$bin/psql" -qX -v ON_ERROR_STOP=1 -d "$db" -v assets="$assets" -v faces="$faces" -v places="$places" \
            -v embedding_type="$type" -v vector_indexes="$indexes" -f "$root/Tests/Fixtures/immich/immich.sql" > /dev/null
        psql_ -d "$db" -c "VACUUM (FREEZE, ANALYZE)" -c "COMMENT ON DATABASE $db IS '$want'"
        bench_log "$db built in $((SECONDS - started)) s"
    fi
    bench_log "$db: $(psql_ -c "SELECT pg_size_pretty(pg_database_size('$db'))") on disk"
done

# Order-independent content of every table: "table rows checksum" lines, then the valid indexes.
tables_sql="SELECT string_agg(format('SELECT %L || '' '' || count(*) || '' '' || coalesce(sum((''x'' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0) FROM %I.%I t', c.relname, n.nspname, c.relname), ' UNION ALL ' ORDER BY c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public'"
content() {
    local query
    query=$(psql_ -d "$1" -c "$tables_sql")
    psql_ -d "$1" -c "$query" | sort
    psql_ -d "$1" -c "SELECT c.relname || CASE WHEN i.indisvalid THEN ' valid' ELSE ' invalid' END FROM pg_index i
                      JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1"
}

pwfile="$BENCH_DIR/password"
echo "bench-passphrase-not-secret" > "$pwfile"
chmod 600 "$pwfile"
config="$BENCH_DIR/immich-config.yml"
cat > "$config" <<YAML
postgres:
  host: $PGHOST
  port: $PGPORT
  user: $PGUSER
  pg_dump: $bin/pg_dump
  pg_restore: $bin/pg_restore
YAML
dumps="$BENCH_DIR/dumps-immich"
sb_repo="$BENCH_DIR/repo-immich-stackbackup" sbb_repo="$BENCH_DIR/repo-immich-stackbackup-before"
declare -A expected=()
for v in "${variant_list[@]}"; do expected[$v]=$(content "bench_immich_$v"); done

# bytesRead of a `backup db --json` log (its JSON after the progress lines): the COPY stream's size.
copy_bytes() {
    python3 -c 'import json, re, sys
text = open(sys.argv[1]).read()
start = re.search(r"^\{", text, re.M).start()
print(json.JSONDecoder().raw_decode(text[start:])[0]["stats"]["bytesRead"])' "$1"
}

for ((r = 1; r <= rounds; r++)); do
    for v in "${variant_list[@]}"; do
        db=bench_immich_$v
        bench_log "round $r of $rounds: $db"
        rm -rf "$sb_repo" "$sbb_repo" "$dumps"
        mkdir -p "$dumps"
        "$SB" init --repo "$sb_repo" --password-file "$pwfile" > /dev/null 2>&1
        if [[ -n $SBB ]]; then "$SBB" init --repo "$sbb_repo" --password-file "$pwfile" > /dev/null 2>&1; fi

        bench_measure stackbackup "dump-$v" "$r" "$sb_repo" -- \
            "$SB" backup db "$db" --jobs 2 --config "$config" --repo "$sb_repo" --password-file "$pwfile" --json
        bench_record stackbackup "dump-$v" "$r" copy_stream_bytes "$(copy_bytes "$BENCH_DIR/logs/immich-stackbackup-dump-$v-$r.log")"
        if [[ -n $SBB ]]; then
            bench_measure stackbackup-before "dump-$v" "$r" "$sbb_repo" -- \
                "$SBB" backup db "$db" --jobs 2 --config "$config" --repo "$sbb_repo" --password-file "$pwfile" --json
            bench_record stackbackup-before "dump-$v" "$r" copy_stream_bytes "$(copy_bytes "$BENCH_DIR/logs/immich-stackbackup-before-dump-$v-$r.log")"
        fi
        bench_measure pg_dump-Fp-zstd "dump-$v" "$r" "$dumps/immich.sql.zst" -- bash -o pipefail -c \
            '"$1" -Fp -d "$2" | zstd -q -3 -T2 -o "$3"' _ "$bin/pg_dump" "$db" "$dumps/immich.sql.zst"
        bench_measure pg_dump-Fd-j2 "dump-$v" "$r" "$dumps/immich.dir" -- "$bin/pg_dump" -Fd -j 2 -d "$db" -f "$dumps/immich.dir"

        restored=("${db}_sb" "${db}_pg")
        for target in "${db}_sb" "${db}_sbb" "${db}_pg"; do psql_ -c "DROP DATABASE IF EXISTS $target"; done
        bench_measure stackbackup "restore-$v" "$r" - -- \
            "$SB" restore "$db" --into "${db}_sb" --jobs 2 --config "$config" --repo "$sb_repo" --password-file "$pwfile"
        if [[ -n $SBB ]]; then
            bench_measure stackbackup-before "restore-$v" "$r" - -- \
                "$SBB" restore "$db" --into "${db}_sbb" --jobs 2 --config "$config" --repo "$sbb_repo" --password-file "$pwfile"
            restored+=("${db}_sbb")
        fi
        psql_ -c "CREATE DATABASE ${db}_pg TEMPLATE template0 ENCODING 'UTF8'"
        bench_measure pg_restore-j2 "restore-$v" "$r" - -- "$bin/pg_restore" --exit-on-error -j 2 -d "${db}_pg" "$dumps/immich.dir"
        for target in "${restored[@]}"; do
            got=$(content "$target")
            [[ $got == "${expected[$v]}" ]] || bench_die "$target differs from $db: $(diff <(echo "${expected[$v]}") <(echo "$got") | head -n 5 | tr '\n' ' ')"
            psql_ -c "DROP DATABASE $target"
        done
        bench_log "the restores of $db match it ($(echo "${expected[$v]}" | grep -c ' valid$') valid indexes, $(echo "${expected[$v]}" | grep -vc ' valid$') tables)"
    done
done
[[ $keep -eq 1 ]] || rm -rf "$sb_repo" "$sbb_repo" "$dumps"

sizes=""
for v in "${variant_list[@]}"; do sizes+="$v $(( $(psql_ -c "SELECT pg_database_size('bench_immich_$v')") / 1000000 )) MB, "; done
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
bench_summarize "immich: $assets assets, $faces faces, $places places (${sizes%, }), HNSW $hnsw, PostgreSQL $server, $rounds rounds, $(date -u +%F), $(nproc) cores ($cpu)"

# The issue's figures: stackbackup's median wall time ÷ the pg tool's (< 1: stackbackup faster).
python3 - "$BENCH_DIR/results-immich.json" <<'PY'
import json, sys
path = sys.argv[1]
results = json.load(open(path))
medians, out = results["medians"], {}
print("\nstackbackup ÷ pg (median wall time; < 1 = stackbackup faster)\n")
print("| variant | backup db ÷ pg_dump -Fp \\| zstd -3 -T2 | restore ÷ pg_restore -j 2 |")
print("|---|---:|---:|")
for variant in ("vector", "real"):
    def ratio(ours, theirs, phase):
        a = medians.get(ours, {}).get(phase, {}).get("wall_s")
        b = medians.get(theirs, {}).get(phase, {}).get("wall_s")
        return round(a / b, 3) if a and b else None
    dump = ratio("stackbackup", "pg_dump-Fp-zstd", f"dump-{variant}")
    restore = ratio("stackbackup", "pg_restore-j2", f"restore-{variant}")
    if dump is None and restore is None:
        continue
    out[variant] = {"backup_vs_pg_dump_Fp_zstd": dump, "restore_vs_pg_restore_j2": restore}
    print(f"| {variant} | {dump}x | {restore}x |")
results["ratios_vs_pg"] = out
json.dump(results, open(path, "w"), indent=2)
PY
