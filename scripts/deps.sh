#!/usr/bin/env bash
# Installs the Debian packages OneDoor's tests and demo need, idempotently: nothing is installed
# when everything is already there. Uses sudo when not root.
#   scripts/deps.sh test   packages the test suite needs
#   scripts/deps.sh demo   packages the demo needs
set -euo pipefail
want=(fonts-noto-cjk fonts-wqy-microhei fonts-dejavu-core)      # CJK fonts: printed tickets, virtual printer, Fyne UIs
# Fyne's cgo build (kiosk, display): compiler and the OpenGL/X11 headers.
fyne=(gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev)
case "${1:-test}" in
  test) want+=("${fyne[@]}" zbar-tools xvfb chromium espeak-ng) ;;  # zbarimg reads printed QR codes; Xvfb and chromium for UI tests
  demo) want+=("${fyne[@]}") ;;
  # imagemagick (import) only here: it pulls fonts-droid-fallback, which could hide a missing CJK
  # font package in the tests.
  screenshots) want+=("${fyne[@]}" xvfb chromium imagemagick) ;;
  *) echo "usage: $0 test|demo|screenshots" >&2; exit 2 ;;
esac
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "deps: please install these Debian packages: ${missing[*]}" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
