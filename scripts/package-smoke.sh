#!/usr/bin/env bash
# Smoke-run the packaged kiosk: it must start offscreen, open its main window, load its decoders and exit 0.
# Usage: scripts/package-smoke.sh [path/to/usher-kiosk]
set -euo pipefail
app="${1:-build/dist/usher-kiosk/usher-kiosk}"
[[ -x "$app" ]] || { echo "package-smoke: $app is missing: run 'make package'" >&2; exit 1; }
data_dir=$(mktemp -d)
trap 'rm -rf "$data_dir"' EXIT
SECONDS=0
output=$(QT_QPA_PLATFORM=offscreen timeout 60 "$app" --data-dir "$data_dir" --exit-after 2 2>&1) || {
  echo "$output" >&2
  echo "package-smoke: the packaged kiosk failed" >&2
  exit 1
}
grep -q "main window open" <<<"$output" || { echo "$output" >&2; echo "package-smoke: no main window" >&2; exit 1; }
echo "package-smoke: ok in ${SECONDS} s; $(grep "main window open" <<<"$output"); $(du -sh "$(dirname "$app")" | cut -f1) on disk"
