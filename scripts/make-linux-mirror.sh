#!/usr/bin/env bash
# Builds a git mirror of Debian's linux-source-6.1 for irqtriage's kernel-mirror tests and scans.
#
#   scripts/make-linux-mirror.sh [tarball] [dest]
#
# tarball: default /usr/src/linux-source-6.1.tar.xz (apt-get install linux-source-6.1)
# dest:    default $IRQTRIAGE_LINUX_MIRROR or ~/.cache/irqtriage/linux-6.1
#
# The result is an ordinary (non-bare) git repository with one commit on branch `master`,
# tagged `v6.1-debian`, authored with a fixed date so the commit id is reproducible for a given
# tarball. Idempotent: an existing complete mirror is reused.
set -euo pipefail
tarball=${1:-/usr/src/linux-source-6.1.tar.xz}
dest=${2:-${IRQTRIAGE_LINUX_MIRROR:-$HOME/.cache/irqtriage/linux-6.1}}

if git -C "$dest" rev-parse -q --verify refs/tags/v6.1-debian >/dev/null 2>&1; then
  echo "$dest"
  exit 0
fi
[ -r "$tarball" ] || { echo "make-linux-mirror: $tarball not found (apt-get install linux-source-6.1)" >&2; exit 1; }

parent=$(dirname "$dest")
mkdir -p "$parent"
tmp=$(mktemp -d "$parent/.linux-mirror.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

tar -xJf "$tarball" -C "$tmp" --strip-components=1
# Debian appends a stanza to the top-level .gitignore that ignores everything at the top level
# ("/*" then "!/debian/"), because its own packaging repository holds only debian/. Drop it, or
# `git add` would add nothing.
python3 - "$tmp/.gitignore" <<'PY'
import sys, re
p = sys.argv[1]
text = open(p, encoding="utf-8").read()
cut = text.find("#\n# Debian packaging:")
if cut >= 0:
    text = text[:cut].rstrip("\n") + "\n"
open(p, "w", encoding="utf-8").write(text)
PY

export GIT_AUTHOR_NAME="irqtriage mirror" GIT_AUTHOR_EMAIL="irqtriage@localhost"
export GIT_COMMITTER_NAME="irqtriage mirror" GIT_COMMITTER_EMAIL="irqtriage@localhost"
export GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" GIT_COMMITTER_DATE="2024-01-01T00:00:00Z"
git -C "$tmp" init -q -b master
git -C "$tmp" config core.hooksPath /dev/null
git -C "$tmp" config gc.auto 0
git -C "$tmp" add -A
git -C "$tmp" commit -q -m "Linux $(make -s -C "$tmp" kernelversion 2>/dev/null || echo 6.1) from Debian linux-source-6.1"
git -C "$tmp" tag v6.1-debian
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "$dest"
