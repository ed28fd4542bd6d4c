#!/usr/bin/env bash
# Real-world content for `dossier import`: the documentation site of Hugo
# itself (Hugo layout, YAML/TOML front matter, shortcodes, page bundles,
# section pages), from Debian's source package, imported and built; then
# every Markdown file of the Hugo source tree, and of Docker's (docs with
# Hugo-style front matter, READMEs, notes), as plain folders of posts: each
# file that cannot be converted must be reported, none may panic. Prints
# counts and times. Needs apt (for the source packages).
#
#   scripts/import-corpus.sh        # work in target/import-corpus/
set -euo pipefail
cd "$(dirname "$0")/.."
work=target/import-corpus
mkdir -p "$work"
cargo build --release -q
bin=$PWD/target/release/dossier

if ! ls "$work"/hugo-*/docs/content >/dev/null 2>&1; then
  if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$codename" > /etc/apt/sources.list.d/dossier-src.sources
  fi
  apt-get update -qq
  (cd "$work" && apt-get source --download-only -qq hugo >/dev/null 2>&1 && tar xf hugo_*.orig.tar.*)
fi
if [ ! -d "$work/docker" ]; then
  (cd "$work" && apt-get source --download-only -qq docker.io >/dev/null 2>&1 && mkdir -p docker \
    && for f in docker.io_*.orig*.tar.*; do tar xf "$f" -C docker; done)
fi
src=$(ls -d "$PWD/$work"/hugo-*/ | head -1)

run() { # name, import args...
  local name=$1; shift
  local dest="$work/$name"
  rm -rf "$dest" && mkdir -p "$dest"
  local t0=$(date +%s.%N)
  set +e
  "$bin" --root "$dest" import "$@" 2> "$dest.import.log"
  local code=$?
  set -e
  local t1=$(date +%s.%N)
  echo "== $name: $(find "${@: -1}" -name '*.md' -o -name '*.markdown' | wc -l) Markdown files"
  echo "   import: exit $code in $(echo "$t1 - $t0" | bc) s"
  tail -1 "$dest.import.log" | sed 's/^/   /'
  grep -c ": error: " "$dest.import.log" | sed 's/^/   errors reported with file:line: /'
  if grep -q "panicked" "$dest.import.log"; then echo "   PANIC"; exit 1; fi
  if [ -d "$dest/content/articles" ]; then
    set +e
    "$bin" --root "$dest" build 2> "$dest.build.log"
    local b=$?
    set -e
    echo "   build: exit $b: $(tail -1 "$dest.build.log")"
    grep -q "panicked" "$dest.build.log" && { echo "   PANIC in build"; exit 1; }
    [ $b -le 1 ] || exit 1
  fi
}

run hugo-docs --drafts "${src}docs"
run hugo-tree "$src"
run docker-tree "$PWD/$work/docker"
