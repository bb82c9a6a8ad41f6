#!/usr/bin/env bash
# Installs the Debian packages stackbackup needs to build and test.
# Idempotent: when every package is already installed it returns at once
# without touching apt. Runs apt as root, or through sudo for a normal user.
set -euo pipefail

# postgresql-server-dev-15, dpkg-dev and build-essential: scripts/regress-db.sh
# (apt-get source + dpkg-source, then regress.so built with PGXS). Installing
# postgresql-server-dev-15 may upgrade postgresql-15 to the newest point
# release, so this must finish before any cluster starts (test.sh runs it first).
packages=(
    libpq-dev libzstd-dev libssl-dev libsqlite3-dev sqlite3 pkgconf
    postgresql postgresql-contrib postgresql-server-dev-15
    dpkg-dev build-essential
    restic borgbackup hyperfine zstd systemd
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$p")
    fi
done

# moto_server (PyPI `moto[server]`): the S3 server the tests run on loopback.
install_moto() {
    if command -v moto_server >/dev/null 2>&1; then return 0; fi
    local python
    python=$(command -v python3 || true)
    if [[ -z "$python" ]]; then
        echo "install-deps: python3 is missing, cannot install moto_server" >&2
        return 1
    fi
    local pip_root=()
    if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then pip_root=(sudo); fi
    echo "install-deps: installing moto[server] with $python -m pip"
    if ! "${pip_root[@]}" "$python" -m pip install --quiet 'moto[server]' 2>/tmp/stackbackup-pip.err; then
        # Debian's own python refuses system-wide installs (PEP 668) unless told.
        if grep -q externally-managed /tmp/stackbackup-pip.err; then
            "${pip_root[@]}" "$python" -m pip install --quiet --break-system-packages 'moto[server]'
        else
            cat /tmp/stackbackup-pip.err >&2
            return 1
        fi
    fi
    hash -r
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
    command -v moto_server >/dev/null 2>&1 || { echo "install-deps: moto_server is not on PATH after pip install" >&2; return 1; }
}

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: all ${#packages[@]} packages already installed"
    install_moto
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: not root and no sudo: install them as root, then run again" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Other processes may hold the dpkg lock for a while: wait instead of failing.
apt_opts=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}"
install_moto
echo "install-deps: done"
