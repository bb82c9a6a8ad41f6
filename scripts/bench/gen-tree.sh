#!/usr/bin/env bash
# Generates the deterministic benchmark tree.
#
#   scripts/bench/gen-tree.sh DIR [SCALE]
#
# SCALE 1.0 (default): ~2 GB of incompressible photo-sized files (2-8 MB), 20,000 small
# files (1-16 KB, text and binary, nested folders), ~500 MB of compressible logs/JSON.
# SCALE multiplies every count, e.g. 0.1 for a quick run. DIR must not exist or be empty;
# a DIR holding a tree made with the same SCALE (marker file) is reused as is.
set -euo pipefail

[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 DIR [SCALE]" >&2; exit 64; }
dir=$1
scale=${2:-1.0}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
marker="$dir/.gen-tree-scale"

if [[ -f "$marker" && "$(cat "$marker")" == "$scale" ]]; then
    echo "gen-tree: reusing $dir (scale $scale)" >&2
    exit 0
fi
if [[ -d "$dir" && -n "$(ls -A "$dir")" ]]; then
    echo "gen-tree: $dir is not empty and holds no tree of scale $scale; remove it first" >&2
    exit 1
fi
command -v openssl >/dev/null || { echo "gen-tree: openssl is needed" >&2; exit 1; }
mkdir -p "$dir"
python3 "$here/gen_tree.py" "$dir" "$scale" >&2
# A one-line marker inside the tree: every tool backs it up alike.
echo "$scale" > "$marker"
