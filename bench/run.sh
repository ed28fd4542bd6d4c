#!/usr/bin/env bash
# Benchmarks: see bench/README.md. Usage: bench/run.sh [N ...]
set -euo pipefail
exec python3 "$(dirname "$0")/run.py" "$@"
