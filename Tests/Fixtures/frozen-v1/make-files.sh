#!/usr/bin/env bash
# Builds the folder that repo/ holds as the volume snapshot `frozen-files`:
#   bash make-files.sh DEST      (DEST must not exist)
# from files-src/ plus what git cannot keep: an empty folder, modes other
# than 644/755, and fixed modification times (2026-01-01 00:00:00 UTC).
# FROZEN: never change what this produces; repo/ was made from it.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 DEST" >&2; exit 64; }
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/files-src"
dest=$1
[[ ! -e "$dest" && ! -L "$dest" ]] || { echo "make-files: $dest already exists" >&2; exit 1; }
mkdir -p "$dest"
cp -a "$src/." "$dest/"
mkdir "$dest/nested/empty-dir"
find "$dest" -type d -exec chmod 0755 {} +
find "$dest" -type f -exec chmod 0644 {} +
chmod 0755 "$dest/run.sh"
chmod 0600 "$dest/secret.txt"
chmod 0750 "$dest/nested/empty-dir"
find "$dest" -depth -exec touch -h -d @1767225600 {} +
