#!/usr/bin/env bash
# Installs the Debian packages OneDoor's tests and demo need, idempotently: nothing is installed
# when everything is already there. Uses sudo when not root.
#   scripts/deps.sh test          packages the test suite needs
#   scripts/deps.sh demo          packages the demo needs
#   scripts/deps.sh screenshots   packages `make screenshots` needs
#
# This file is the one place that names the outside programs the tests run. Each package line says
# "provides:" the programs a test runs from it and which tests run them; internal/testtool reads
# these lines (a test fails naming the package when its program is missing), and its own test checks
# that every program a *_test.go file runs is provided here.
set -euo pipefail
fonts=(
  fonts-noto-cjk      # NotoSansCJK .ttc: the Simplified Chinese face of printed tickets, printersim PNGs and the Fyne UIs (ui/cjkfont, kiosk, display)
  fonts-wqy-microhei  # second CJK face (ui/cjkfont fallback test)
  fonts-dejavu-core   # Latin face of the rendered tickets (drivers/printersim)
  fonts-hanazono      # HanaMin A/B: CJK Extension A/B hanzi of rare names, drawn as raster lines (drivers/escpos) and by printersim
)
# Fyne's cgo build (kiosk, display; `go vet ./...` compiles them): compiler and the OpenGL/X11 headers.
fyne=(gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev)
tests=(
  zbar-tools          # provides: zbarimg — decodes printed QR codes (drivers/escpos, drivers/printer, drivers/printersim, kiosk, cmd/kiosk)
  zxing-cpp-tools     # provides: ZXingReader — decodes printed PDF417 symbols, which zbarimg cannot (drivers/printersim TestPDF417Decodes)
  sox                 # provides: soxi — measures the rendered announcement WAVs (display/voice TestEspeakRendersAWAV)
  espeak-ng           # provides: espeak-ng — speaks the hall display's calls (display/voice)
  chromium            # provides: chromium — headless browser of the page tests (hallserver/http: display, counter, follow, inbox, supervision)
  util-linux          # provides: prlimit — runs hallserver with a small descriptor limit (cmd/hallserver TestFloodFromOneAddressLeavesKiosksIn; Essential in Debian, named for completeness)
  prometheus          # provides: promtool — lints a real /metrics scrape (hallserver/http TestMetricsPassPromtool)
  nodejs              # provides: node — runs the npm tools below
  default-jre-headless # provides: java — runs the Nu HTML checker (npm vnu-jar, below)
  xvfb                # provides: Xvfb — the real kiosk binary under X (cmd/kiosk TestXvfbScreenshots)
)
# npm tools the tests run, pinned, installed by `npm install` into a cache directory that every
# clone shares (ONEDOOR_NPM_PREFIX, default ${XDG_CACHE_HOME:-~/.cache}/onedoor/npm: CI installs
# them once); internal/testtool.Path finds them in its node_modules/.bin.
npm_tools=(
  @redocly/cli@2.77.0 # provides: redocly — lints openapi.json (hallserver/http TestOpenAPILintsClean)
  vnu-jar@26.9.27     # provides: vnu — the Nu HTML checker over every page (hallserver/http TestPagesAreValidHTML)
)
# The real Open311 client that hallserver/http TestOpen311RealClient runs (node, through
# hallserver/http/open311/testdata/client.js), pinned, in its own directory open311/ of the cache
# above. Two of its dependencies cannot install here, and npm overrides put thin stand-ins from
# hallserver/http/open311/testdata/npm in their place: sparkxml, a git dependency never published
# to npm (on a native libxml binding besides), by one with the same parseXml on @xmldom/xmldom; and
# node-expat 1.4.1 (native, under xml2json) by ersatz-node-expat (pure JS, published) with node-expat
# 1's parse(). Debian's npm 9 cannot override a git dependency ("Invalid comparator"): npm 10,
# pinned, installs it (npx).
open311_client=(
  open311@0.0.12      # the client library (no program of its own): TestOpen311RealClient runs it with node
  npm@10.9.4          # installs it (npx), for the overrides above
)
case "${1:-test}" in
  test) want=("${fonts[@]}" "${fyne[@]}" "${tests[@]}") ;;
  demo) want=("${fonts[@]}" "${fyne[@]}") ;;
  # imagemagick (import) only here: it pulls fonts-droid-fallback, which could hide a missing CJK
  # font package in the tests.
  screenshots) want=("${fonts[@]}" "${fyne[@]}" "${tests[@]}"
    imagemagick       # provides: import — captures the Xvfb screen (cmd/kiosk TestXvfbScreenshots, make screenshots only)
  ) ;;
  *) echo "usage: $0 test|demo|screenshots" >&2; exit 2 ;;
esac
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
install_npm_tools() {
  command -v npm >/dev/null || { echo "deps: npm is missing (Debian: apt-get install npm)" >&2; exit 1; }
  local prefix="${ONEDOOR_NPM_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/onedoor/npm}"
  [ "$(cat "$prefix/onedoor-tools" 2>/dev/null)" = "${npm_tools[*]}" ] && return 0
  mkdir -p "$prefix"
  [ -f "$prefix/package.json" ] || echo '{"private":true}' >"$prefix/package.json"
  echo "deps: npm installing ${npm_tools[*]} into $prefix" >&2
  npm install --prefix "$prefix" --no-audit --no-fund --save-exact --loglevel=error "${npm_tools[@]}" >&2
  echo "${npm_tools[*]}" >"$prefix/onedoor-tools"
}
install_open311_client() {
  local prefix="${ONEDOOR_NPM_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/onedoor/npm}/open311"
  local shims
  shims="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/hallserver/http/open311/testdata/npm"
  local want="${open311_client[*]} stand-ins:$(cat "$shims"/*/* | sha256sum | cut -c1-16)"
  [ "$(cat "$prefix/onedoor-tools" 2>/dev/null)" = "$want" ] && return 0
  rm -rf "$prefix" && mkdir -p "$prefix/shim"
  local over="" name
  for name in sparkxml node-expat; do
    (cd "$prefix/shim" && npm pack --loglevel=error "$shims/$name" >/dev/null)
    over+="${over:+,}\"$name\":\"file:$(ls "$prefix/shim/$name"-*.tgz)\""
  done
  echo "{\"private\":true,\"overrides\":{$over}}" >"$prefix/package.json"
  echo "deps: npm installing ${open311_client[0]} (with its stand-ins) into $prefix" >&2
  (cd "$prefix" && npx --yes "${open311_client[1]}" install --no-audit --no-fund --save-exact --loglevel=error "${open311_client[0]}" >&2)
  echo "$want" >"$prefix/onedoor-tools"
}
command -v npm >/dev/null || [ "${1:-test}" = demo ] || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "deps: please install these Debian packages: ${missing[*]}" >&2
    exit 1
  fi
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "deps: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ "${1:-test}" = demo ] || install_npm_tools
[ "${1:-test}" = demo ] || install_open311_client
