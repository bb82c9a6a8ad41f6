#!/usr/bin/env bash
# A cached PostgreSQL data directory holding the `regression` database that the
# server's own regression suite (pg_regress --schedule=parallel_schedule) leaves
# behind: hundreds of tables, functions, rules, policies, large objects... a
# test fixture for restore fidelity.
#
#   scripts/regress-db.sh build   builds the template when missing (else returns at
#                                 once); prints the template data dir on stdout
#   scripts/regress-db.sh path    prints the template data dir; fails when not built
#   scripts/regress-db.sh lib     prints the folder with regress.so, autoinc.so and
#                                 refint.so (the regression database's C functions
#                                 point at it: it must stay where it is)
#
# Start a cluster from the template with
#   scripts/pg-cluster.sh start DIR --template "$(scripts/regress-db.sh path)"
#
# Cache: ${STACKBACKUP_CACHE_DIR:-/var/cache/stackbackup} as root, else
# ${STACKBACKUP_CACHE_DIR:-~/.cache/stackbackup}; one subfolder per installed
# postgresql-15 version and hash of this script and pg-cluster.sh, holding
#   data/     the template data dir (owned by postgres when root; its existence
#             means "finished": it is moved into place only once complete)
#   lib/      regress.so, autoinc.so, refint.so (readable by everyone)
#   src/      the regression suite's source (src/test/regress, contrib/spi)
#   results/  pg_regress's summary, regression.out and regression.diffs
#   info      versions used
#
# The source comes from the Debian source package of the installed
# postgresql-15, fetched with apt-get source through a private apt state (a
# deb-src list for the same mirrors as /etc/apt/sources.list.d/debian.sources,
# in a temp folder: the system's apt configuration is not touched). When the
# mirror does not have that exact version's source, the newest 15.x source it
# has is used (logged; recorded in info), with `\.` added after the COPY FROM
# STDIN statements that fail (see patch_failed_copies).
#
# pg_regress test failures are accepted (some tests differ in this environment;
# only the resulting database matters). Concurrent builds are serialised with
# flock. Progress and errors go to stderr.
set -euo pipefail

log() { echo "regress-db: $*" >&2; }
die() { log "$*"; exit 1; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
bin=/usr/lib/postgresql/15/bin
pg_config=$bin/pg_config
package=postgresql-15

is_root() { [[ $(id -u) -eq 0 ]]; }

cache_root() {
    if is_root; then echo "${STACKBACKUP_CACHE_DIR:-/var/cache/stackbackup}"
    else echo "${STACKBACKUP_CACHE_DIR:-$HOME/.cache/stackbackup}"; fi
}

cache_dir() {
    local version hash
    version=$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null) \
        || die "$package is not installed: run scripts/install-deps.sh"
    [[ -x "$pg_config" && -x "$bin/pg_ctl" ]] || die "no PostgreSQL 15 server in $bin: run scripts/install-deps.sh"
    # This script and pg-cluster.sh (which makes the cluster) define the template.
    hash=$(cat "$self" "$here/pg-cluster.sh" | sha256sum | cut -c1-12)
    echo "$(cache_root)/regress-pg$(tr -c 'A-Za-z0-9.\n' _ <<<"$version")-$hash"
}

# Runs a command as the server's owner (postgres when root) from inside $1.
as_owner_in() {
    local dir=$1; shift
    if is_root; then (cd "$dir" && runuser -u postgres -- "$@")
    else (cd "$dir" && "$@"); fi
}

# Fetches the source package into $1/dl and unpacks it into $1/pkg; echoes the version used.
fetch_source() {
    local work=$1 installed apt_dir sandbox=() versions v used=""
    installed=$(dpkg-query -W -f='${Version}' "$package")
    apt_dir="$work/apt"
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources" "$work/dl"
    # deb-src twins of the system's deb entries (deb822 file, else the stock mirrors).
    local sys=/etc/apt/sources.list.d/debian.sources
    if [[ -r "$sys" ]] && grep -q '^Types: *deb *$' "$sys"; then
        sed 's/^Types: *deb *$/Types: deb-src/' "$sys" > "$apt_dir/sources/src.sources"
    else
        cat > "$apt_dir/sources/src.sources" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    if is_root; then sandbox=(-o APT::Sandbox::User=root); fi
    local opts=(-q -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/sources"
        -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
        -o Acquire::Retries=3 "${sandbox[@]}")
    log "apt-get update (deb-src lists, private to $apt_dir)"
    apt-get "${opts[@]}" update >"$work/apt-update.log" 2>&1 \
        || { cat "$work/apt-update.log" >&2; die "apt-get update (deb-src) failed"; }
    # The installed version first, then every other 15.x the mirror lists, newest first.
    versions=$(apt-cache "${opts[@]}" showsrc "$package" 2>/dev/null | awk '/^Version:/{print $2}' | sort -u \
        | while read -r v; do [[ "$v" == 15.* && "$v" != "$installed" ]] && echo "$v"; done \
        | sort -r -V)
    for v in "$installed" $versions; do
        log "apt-get source --download-only $package=$v"
        rm -f "$work"/dl/*
        if (cd "$work/dl" && apt-get "${opts[@]}" source --download-only "$package=$v") >"$work/apt-source.log" 2>&1; then
            used=$v; break
        fi
        log "source of $package $v is not available: $(grep -m1 -E '^E:' "$work/apt-source.log" || tail -n 1 "$work/apt-source.log")"
    done
    [[ -n "$used" ]] || die "no source package of $package could be fetched"
    if [[ "$used" != "$installed" ]]; then
        log "WARNING: using the regression suite of $used with the installed server $installed"
    fi
    log "unpacking $(cd "$work/dl" && ls ./*.dsc)"
    dpkg-source --no-check -x "$work"/dl/*.dsc "$work/pkg" >"$work/dpkg-source.log" 2>&1 \
        || { cat "$work/dpkg-source.log" >&2; die "dpkg-source -x failed"; }
    echo "$used"
}

# psql 15.19+ skips the input after a failed COPY ... FROM STDIN up to the next
# `\.` (the suites of those releases end such statements with `\.`). An older
# suite run by a newer psql would lose whole stretches of some tests (the
# objects they make would be missing from the database), so when the source is
# older than the server, add `\.` after every COPY FROM STDIN that the expected
# output shows failing before any data (the next input line is echoed as a
# statement right after the error). Echoes how many were added.
patch_failed_copies() {
    python3 - "$1" <<'PY'
import os, re, sys
root = sys.argv[1]
copy = re.compile(r'\bcopy\b.*\bfrom\s+stdin\b.*;', re.I)
added = 0
for name in sorted(os.listdir(os.path.join(root, 'sql'))):
    if not name.endswith('.sql'):
        continue
    sql_path = os.path.join(root, 'sql', name)
    exp_path = os.path.join(root, 'expected', name[:-4] + '.out')
    if not os.path.exists(exp_path):
        continue
    sql = open(sql_path, encoding='utf-8', errors='surrogateescape').read().split('\n')
    exp = open(exp_path, encoding='utf-8', errors='surrogateescape').read().split('\n')
    out, e, changed = [], 0, False
    for i, line in enumerate(sql):
        out.append(line)
        if not copy.search(line):
            continue
        try:
            j = exp.index(line, e)
        except ValueError:
            continue
        e = j + 1
        if i + 1 < len(sql) and sql[i + 1].strip() == '\\.':
            continue
        if j + 1 >= len(exp) or not exp[j + 1].startswith('ERROR:'):
            continue
        # Failed before any data only when psql echoed the next line as a
        # statement right after the error (COPY data is not echoed).
        k = j + 1
        while k < len(exp):
            if exp[k].startswith(('ERROR:', 'DETAIL:', 'HINT:', 'CONTEXT:', 'WARNING:', 'NOTICE:')):
                k += 1
            elif exp[k].startswith('LINE '):
                k += 2  # and its caret line
            else:
                break
        n = i + 1  # psql -a does not echo blank lines
        while n < len(sql) and sql[n].strip() == '':
            n += 1
        if k < len(exp) and n < len(sql) and exp[k] == sql[n]:
            out.append('\\.')
            added += 1
            changed = True
    if changed:
        open(sql_path, 'w', encoding='utf-8', errors='surrogateescape').write('\n'.join(out))
print(added)
PY
}

# Builds regress.so, autoinc.so and refint.so with PGXS from the source in $1 into $2.
build_libs() {
    local src=$1 out=$2 b
    b=$(mktemp -d "$out.build-XXXXXX")
    mkdir -p "$b/regress"
    cp "$src/src/test/regress/regress.c" "$b/regress/"
    cat > "$b/regress/Makefile" <<MAKE
MODULES = regress
PG_CONFIG = $pg_config
PGXS := \$(shell \$(PG_CONFIG) --pgxs)
include \$(PGXS)
MAKE
    cp -r "$src/contrib/spi" "$b/spi"
    log "building regress.so, autoinc.so, refint.so with PGXS"
    { make -C "$b/regress" USE_PGXS=1 "PG_CONFIG=$pg_config" \
        && make -C "$b/spi" USE_PGXS=1 "PG_CONFIG=$pg_config" autoinc.so refint.so; } >"$b/make.log" 2>&1 \
        || { cat "$b/make.log" >&2; die "building the regression libraries failed"; }
    mkdir -p "$out"
    install -m 644 "$b/regress/regress.so" "$b/spi/autoinc.so" "$b/spi/refint.so" "$out/"
    rm -rf -- "$b"
}

psql_q() { "$bin/psql" -X -q -A -t -h 127.0.0.1 -p "$port" -U postgres -d regression -c "$1"; }

build() {
    local cache started=$SECONDS
    cache=$(cache_dir)
    if [[ -d "$cache/data" ]]; then echo "$cache/data"; return 0; fi

    mkdir -p "$cache"
    chmod 755 "$(cache_root)" "$cache" 2>/dev/null || true
    exec 9>"$cache/lock"
    if ! flock -n 9; then
        log "waiting for another build of $cache"
        # Polled, not a blocking flock: a signal must not wait for the lock.
        until flock -n 9; do sleep 1; done
    fi
    if [[ -d "$cache/data" ]]; then echo "$cache/data"; return 0; fi
    log "building the regression template in $cache"

    work=$(mktemp -d "$cache/tmp-XXXXXX")
    chmod 755 "$work"
    cluster="$work/cluster"
    trap 'cleanup_build' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    # 1. Source (kept: pg_regress's inputs, regress.c, contrib/spi).
    local src_version
    if [[ -f "$cache/src/.complete" ]]; then
        src_version=$(cat "$cache/src/.complete")
    else
        rm -rf -- "$cache/src"
        src_version=$(fetch_source "$work")
        mkdir -p "$work/src/src/test" "$work/src/contrib"
        mv "$work/pkg/src/test/regress" "$work/src/src/test/"
        mv "$work/pkg/contrib/spi" "$work/src/contrib/"
        if [[ "$src_version" != "$(dpkg-query -W -f='${Version}' "$package")" ]]; then
            local patched
            patched=$(patch_failed_copies "$work/src/src/test/regress")
            log "added \\. after $patched failed COPY FROM STDIN statements (older suite, newer psql)"
        fi
        echo "$src_version" > "$work/src/.complete"
        chmod -R a+rX "$work/src"
        mv "$work/src" "$cache/src"
        rm -rf -- "$work/pkg" "$work/dl" "$work/apt"
    fi
    local src="$cache/src"

    # 2. Libraries, at their final path (the database's C functions name it).
    if [[ ! -f "$cache/lib/.complete" ]]; then
        rm -rf -- "$cache/lib"
        build_libs "$src" "$work/lib"
        : > "$work/lib/.complete"
        chmod 755 "$work/lib"
        mv "$work/lib" "$cache/lib"
    fi

    # 3. A cluster made like every test cluster, then the regression suite.
    local env_lines
    env_lines=$(bash "$here/pg-cluster.sh" start "$cluster")
    port=$(sed -n 's/.*PGPORT=\([0-9]*\).*/\1/p' <<<"$env_lines")
    [[ -n "$port" ]] || die "pg-cluster.sh printed no port"
    local out="$work/regress-out"
    mkdir -p "$out"
    if is_root; then chown postgres: "$out"; fi
    log "pg_regress --schedule=parallel_schedule on 127.0.0.1:$port (a few minutes)"
    local regress_status=0 t0=$SECONDS
    # In the background and waited for, so that a signal (test.sh stopping us)
    # is handled at once: the cleanup stops the server, which ends pg_regress.
    as_owner_in "$out" "$bin/../lib/pgxs/src/test/regress/pg_regress" \
        --inputdir="$src/src/test/regress" --outputdir="$out" --bindir="$bin" \
        --dlpath="$cache/lib" --schedule="$src/src/test/regress/parallel_schedule" \
        --host=127.0.0.1 --port="$port" >"$out/pg_regress.log" 2>&1 &
    regress_child=$!
    wait "$regress_child" || regress_status=$?
    regress_child=""
    mkdir -p "$work/results"
    cp "$out/pg_regress.log" "$work/results/"
    cp "$out"/regression.out "$out"/regression.diffs "$work/results/" 2>/dev/null || true
    cp "$cluster/server.log" "$work/results/" 2>/dev/null || true
    local summary
    summary=$(grep -E 'tests (passed|failed)|All [0-9]+ tests' "$out/pg_regress.log" | tail -n 1 | tr -s ' ' || true)
    log "pg_regress exited $regress_status after $((SECONDS - t0))s: ${summary:-no summary line}"
    { echo "$summary"; grep -E '^(not ok|.* \.\.\. FAILED)' "$out/pg_regress.log" || true; } > "$work/results/summary"
    if grep -qE '^not ok|FAILED' "$out/pg_regress.log"; then
        log "failed tests (accepted): $(grep -E '^not ok|FAILED' "$out/pg_regress.log" | sed -E 's/^not ok +[0-9]+ +[-+] +//; s/^ *test +//; s/ +\.\.\..*//; s/ +[0-9]+ ms$//' | tr -s ' \n' ' ')"
    fi

    # 4. Is the database there?
    local tables
    tables=$(psql_q "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
                     where c.relkind in ('r','p') and n.nspname not in ('pg_catalog','information_schema')
                       and n.nspname not like 'pg_toast%'") \
        || die "no regression database after pg_regress (see $work/results/pg_regress.log)"
    log "regression database: $tables tables"
    [[ "$tables" -ge 200 ]] || die "the regression database has only $tables tables (see $work/results/pg_regress.log)"

    # 5. Clean stop, fsync (the cluster ran with fsync off), move into place.
    as_owner_in "$cluster" "$bin/pg_ctl" stop -D "$cluster/data" -m fast -w -t 120 >/dev/null \
        || die "pg_ctl stop -m fast failed"
    as_owner_in "$cluster" "$bin/initdb" --sync-only -D "$cluster/data" >/dev/null 2>&1 || sync
    rm -f "$cluster/data/postmaster.opts"
    # After the clean stop only the REDO segment matters; the recycled segments
    # ahead of it (stale content, ~200 MB) would only make every copy slower.
    local redo seg kept=0
    redo=$("$bin/pg_controldata" "$cluster/data" | sed -n "s/^Latest checkpoint's REDO WAL file: *//p")
    if [[ "$redo" =~ ^[0-9A-F]{24}$ ]] && "$bin/pg_controldata" "$cluster/data" | grep -q '^Database cluster state: *shut down$'; then
        for seg in $(cd "$cluster/data/pg_wal" && ls | grep -E '^[0-9A-F]{24}$' | sort); do
            if [[ "$seg" > "$redo" ]]; then
                kept=$((kept + 1))
                # Keep the next one too (a checkpoint record may cross into it).
                [[ $kept -le 1 ]] || rm -f "$cluster/data/pg_wal/$seg"
            fi
        done
    fi
    { echo "server=$(dpkg-query -W -f='${Version}' "$package")"
      echo "source=$src_version"
      echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
      echo "pg_regress_status=$regress_status"
      echo "tables=$tables"; } > "$work/info"
    rm -rf -- "$cache/results"
    chmod -R a+rX "$work/results"
    mv "$work/results" "$cache/results"
    mv -f "$work/info" "$cache/info"
    mv "$cluster/data" "$cache/data"
    log "template ready in $cache/data after $((SECONDS - started))s"
    echo "$cache/data"
}

cleanup_build() {
    local status=$?
    if [[ -n "${cluster:-}" && -f "$cluster/data/postmaster.pid" ]]; then
        bash "$here/pg-cluster.sh" stop "$cluster" >/dev/null 2>&1 || true
    fi
    if [[ -n "${regress_child:-}" ]]; then
        kill "$regress_child" 2>/dev/null || true
        wait "$regress_child" 2>/dev/null || true
    fi
    [[ -n "${work:-}" ]] && rm -rf -- "$work"
    exit "$status"
}

case "${1:-}" in
    build) [[ $# -eq 1 ]] || die "usage: $0 build|path|lib"; build ;;
    path)
        d="$(cache_dir)/data"
        [[ -d "$d" ]] || die "no template in $d: run scripts/regress-db.sh build"
        echo "$d" ;;
    lib)
        d="$(cache_dir)/lib"
        [[ -f "$d/.complete" ]] || die "no libraries in $d: run scripts/regress-db.sh build"
        echo "$d" ;;
    *) echo "usage: $0 build|path|lib" >&2; exit 64 ;;
esac
