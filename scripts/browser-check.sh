#!/usr/bin/env bash
# Checks a built dossier in a real browser: Nu HTML checker, axe-core (light
# and dark), 375 px layout, search from file://, the timeline filter, a crawl
# of every link and anchor over HTTP under the site's sub-path and over
# file://, and screenshots of every page kind.
#
#   scripts/browser-check.sh SITE_DIR [SCREENSHOT_DIR]
#
# Installs what it needs on a fresh Debian machine (chromium, a Java runtime
# for the Nu checker, the npm packages of scripts/browser). Exit 1 on any
# failure, every failure listed.
set -euo pipefail
site=${1:?usage: scripts/browser-check.sh SITE_DIR [SCREENSHOT_DIR]}
shots=${2:-target/screenshots}
here="$(cd "$(dirname "$0")" && pwd)"

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v java >/dev/null || need+=(default-jre-headless)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -d "$here/browser/node_modules/playwright-core" ]; then
  # --ignore-scripts: vnu-jar's install script would fetch a JDK; we use Debian's Java.
  (cd "$here/browser" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
CHROMIUM="${CHROMIUM:-$(command -v chromium)}" node "$here/browser/check.mjs" "$site" "$shots"
