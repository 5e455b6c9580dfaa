#!/usr/bin/env bash
# Installs the Debian packages Usher's kiosk, tests and screenshots need, only those missing.
# Usage: scripts/system-deps.sh [--with-postgres]
# Without root (and without passwordless sudo) it prints what is missing and carries on, so a developer
# can install them by hand; `make` never fails here for lack of privileges.
set -euo pipefail

packages=(
  # PySide6 import and offscreen rendering
  libglib2.0-0 libgl1 libegl1 libxkbcommon0 libfreetype6 libfontconfig1 libdbus-1-3
  # a real window under Xvfb (screenshots, the demo without a display)
  xvfb xauth libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
  libxcb-image0 libxcb-render-util0
  # pyzbar's native library
  libzbar0
)
if [[ "${1:-}" == "--with-postgres" ]]; then
  packages+=(postgresql postgresql-client)
fi

command -v dpkg-query >/dev/null 2>&1 || { echo "system-deps: not a Debian system, skipping"; exit 0; }

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "system-deps: missing Debian packages (install them as root): ${missing[*]}" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
