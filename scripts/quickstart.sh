#!/usr/bin/env bash
# Sets stackbackup up on this machine and runs the nightly job once.
#
#   bash scripts/quickstart.sh
#
# With a config (STACKBACKUP_CONFIG or /etc/stackbackup/config.yml) it builds
# stackbackup, creates the configured repository when missing and runs
# `stackbackup run` with it. Without one it makes a local default under
# $STACKBACKUP_QUICKSTART_DIR (default /var/lib/stackbackup-quickstart as root,
# else ~/.local/state/stackbackup-quickstart): a local PostgreSQL with the
# stack's databases (immich, umami, backend, authelia) holding sample rows,
# sample media folders, a random passphrase, a config and a local repository.
# Running it again reuses all of that and takes another snapshot.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
log() { echo "quickstart: $*" >&2; }

bash scripts/install-deps.sh
log "building stackbackup (release)"
swift build -c release --product stackbackup >&2
bin="$root/.build/release/stackbackup"

config=${STACKBACKUP_CONFIG:-}
if [[ -z "$config" && -f /etc/stackbackup/config.yml ]]; then config=/etc/stackbackup/config.yml; fi

if [[ -z "$config" ]]; then
    if [[ $(id -u) -eq 0 ]]; then default_state=/var/lib/stackbackup-quickstart
    else default_state="${XDG_STATE_HOME:-$HOME/.local/state}/stackbackup-quickstart"; fi
    state=${STACKBACKUP_QUICKSTART_DIR:-$default_state}
    mkdir -p "$state"
    chmod 755 "$state"
    pgdir="$state/pg"
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -t/ -k4,4n | tail -n 1)

    # A local PostgreSQL: started by pg-cluster.sh the first time, restarted later.
    if [[ -f "$pgdir/port" ]] && pg_isready -q -h 127.0.0.1 -p "$(cat "$pgdir/port")"; then
        log "PostgreSQL already running on 127.0.0.1:$(cat "$pgdir/port")"
    elif [[ -d "$pgdir/data" ]]; then
        log "restarting the local PostgreSQL in $pgdir"
        if [[ $(id -u) -eq 0 ]]; then
            (cd "$pgdir" && runuser -u postgres -- "$pgbin/pg_ctl" start -D "$pgdir/data" -l "$pgdir/server.log" -w >/dev/null)
        else
            "$pgbin/pg_ctl" start -D "$pgdir/data" -l "$pgdir/server.log" -w >/dev/null
        fi
    else
        bash scripts/pg-cluster.sh start "$pgdir" >/dev/null
    fi
    export PGHOST=127.0.0.1 PGPORT=$(cat "$pgdir/port") PGUSER=postgres
    for db in immich umami backend authelia; do
        if [[ -z $(psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
            log "creating database $db with sample data"
            psql -q -d postgres -c "CREATE DATABASE $db"
            psql -q -d "$db" -f scripts/quickstart/sample-$db.sql
        fi
    done

    # Sample media, standing in for the Immich library and Navidrome's data.
    mkdir -p "$state/volumes/immich/library/admin/2026" "$state/volumes/immich/upload" "$state/volumes/immich/thumbs" \
             "$state/volumes/navidrome/data" "$state/volumes/navidrome/music" "$state/volumes/authelia/config"
    if [[ ! -f "$state/volumes/immich/library/admin/2026/IMG_0001.jpg" ]]; then
        head -c 3000000 /dev/urandom > "$state/volumes/immich/library/admin/2026/IMG_0001.jpg"
        head -c 2000000 /dev/urandom > "$state/volumes/navidrome/music/track01.flac"
        echo "storage: { encryption_key: quickstart-only }" > "$state/volumes/authelia/config/configuration.yml"
        sqlite3 "$state/volumes/navidrome/data/navidrome.db" \
            "CREATE TABLE media_file(id TEXT PRIMARY KEY, path TEXT); INSERT INTO media_file VALUES ('1', 'track01.flac');"
    fi

    if [[ ! -f "$state/passphrase" ]]; then
        (umask 077; head -c 24 /dev/urandom | base64 > "$state/passphrase")
        log "generated a passphrase in $state/passphrase — keep a copy somewhere safe"
    fi
    config="$state/config.yml"
    cat > "$config" <<YAML
# Written by scripts/quickstart.sh: a local default for trying stackbackup.
repository: $state/repository
password_file: $state/passphrase
postgres:
  host: 127.0.0.1
  port: $PGPORT
  user: postgres
  dbname: postgres
  databases: [immich, umami, backend, authelia]
  jobs: 2
  pg_dump: $pgbin/pg_dump
volumes:
  immich-media:
    path: $state/volumes/immich
    exclude: ["thumbs/**", "encoded-video/**"]
  navidrome:
    path: $state/volumes/navidrome
    sqlite: ["data/navidrome.db"]
  authelia-config:
    path: $state/volumes/authelia/config
retention:
  policy: $root/policies/retention.yml
status_file: $state/status.json
metrics_file: $state/stackbackup.prom
YAML
fi

export STACKBACKUP_CONFIG="$config"
status=0
"$bin" snapshots --quiet >/dev/null 2>&1 || status=$?
if [[ $status -eq 10 ]]; then
    log "creating the repository"
    "$bin" init
fi
log "running the nightly job: stackbackup run --config $config"
status=0
"$bin" run || status=$?
"$bin" snapshots
if [[ $status -ne 0 ]]; then log "the run exited with $status (see the messages above)"; exit "$status"; fi
log "done. Restore a database with: $bin restore umami --into umami_copy --config $config"
