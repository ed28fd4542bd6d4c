#!/usr/bin/env bash
# A full disk and a read-only output, for real: a build into a full tmpfs,
# or one remounted read-only, must fail with a clear error (exit 2), leave
# the previous output byte-identical and leave no staging folder behind.
# Needs root (to mount a tmpfs); CI runs it.
#
#   scripts/fault-check.sh [path/to/dossier-binary]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/dossier}
bin=$(realpath "$bin")
work=$(mktemp -d)
mnt="$work/disk"
mkdir -p "$mnt"
cleanup() { umount "$mnt" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mount -t tmpfs -o size=4m tmpfs "$mnt"
cp -r tests/fixtures/basic "$work/dossier"

# A good build on the small disk.
"$bin" --root "$work/dossier" build --out "$mnt/site" >/dev/null 2>&1
before=$(cd "$mnt/site" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)

fail=0
round=0
# Two kinds of full: no room at all (the staging folder cannot even be made),
# and 64 KiB left (the disk fills in the middle of writing pages).
for leave_kb in 0 64; do
  round=$((round + 1))
  free_kb=$(df -k --output=avail "$mnt" | tail -1 | tr -d ' ')
  fill_kb=$((free_kb - leave_kb))
  dd if=/dev/zero of="$mnt/filler" bs=1k count="$fill_kb" 2>/dev/null || true
  sed -i "s/Alpha reports the airlift/Alpha reports the airlift (round $round)/" "$work/dossier/content/articles/alpha.md"
  set +e
  "$bin" --root "$work/dossier" build --out "$mnt/site" > "$work/out.txt" 2> "$work/err.txt"
  code=$?
  set -e
  echo "-- ${leave_kb} KiB free: $(tail -1 "$work/err.txt")"
  [ "$code" -eq 2 ] || { echo "FAIL: exit $code on a full disk, expected 2"; fail=1; }
  grep -qi "no space left on device" "$work/err.txt" || { echo "FAIL: the error does not say the disk is full"; fail=1; }
  after=$(cd "$mnt/site" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
  [ "$before" = "$after" ] || { echo "FAIL: the previous output changed"; fail=1; }
  strays=$(find "$mnt" -maxdepth 1 -name '.site.*' | wc -l)
  [ "$strays" -eq 0 ] || { echo "FAIL: $strays staging folder(s) left behind"; fail=1; }
  rm -f "$mnt/filler"
done

# A read-only output folder (the whole file system, as root cannot be stopped
# by permission bits): a clear error, nothing changed.
mount -o remount,ro "$mnt"
set +e
"$bin" --root "$work/dossier" build --out "$mnt/site" > "$work/out.txt" 2> "$work/err.txt"
code=$?
set -e
echo "-- read-only: $(tail -1 "$work/err.txt")"
[ "$code" -eq 2 ] || { echo "FAIL: exit $code on a read-only output, expected 2"; fail=1; }
grep -qi "read-only file system" "$work/err.txt" || { echo "FAIL: the error does not say the output is read-only"; fail=1; }
after=$(cd "$mnt/site" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
[ "$before" = "$after" ] || { echo "FAIL: the read-only output changed"; fail=1; }
mount -o remount,rw "$mnt"

# Room again: the next build succeeds and shows the change.
"$bin" --root "$work/dossier" build --out "$mnt/site" >/dev/null 2>&1 || { echo "FAIL: the build after freeing space failed"; fail=1; }
grep -q "Alpha reports the airlift (round 2) (round 1)" "$mnt/site/sources/alpha/index.html" || { echo "FAIL: the rebuilt site lacks the change"; fail=1; }
[ $fail -eq 0 ] && echo "full disk and read-only output: exit 2, clear error, previous output intact, no staging left; recovered afterwards"
exit $fail
