#!/usr/bin/env bash
# Unpack Debian's FreeDict dictd files into DEST (default .venv/share/dictd) without
# installing them system-wide: apt-get download + dpkg-deb -x need no root, only
# package lists (refreshed with apt-get update when we are root and they are missing).
set -euo pipefail
dest=${1:-.venv/share/dictd}
pairs=${FREEDICT_PAIRS:-"eng-fra fra-eng eng-fin fin-eng"}
mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
missing=()
for pair in $pairs; do
  [ -s "$dest/freedict-$pair.index" ] || missing+=("dict-freedict-$pair")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! (cd "$work" && apt-get download "${missing[@]}" >/dev/null 2>&1); then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    (cd "$work" && apt-get download "${missing[@]}" >/dev/null)
  else
    echo "apt-get download ${missing[*]} failed: run 'sudo apt-get update' once, then retry" >&2
    exit 1
  fi
fi
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
cp "$work"/root/usr/share/dictd/freedict-* "$dest/"
echo "FreeDict files in $dest: $(ls "$dest" | tr '\n' ' ')"
