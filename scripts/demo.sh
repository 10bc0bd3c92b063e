#!/usr/bin/env bash
# Runs the OneDoor demo: the hall server on the demo campus (./data/onedoor.db) and a virtual
# thermal printer on 127.0.0.1:9100 that writes each printed ticket as a PNG under ./data/printer.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data/printer
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
if [ -d cmd/printersim ]; then
  go run ./cmd/printersim serve -tcp 127.0.0.1:9100 -o data/printer &
  pids+=($!)
fi
# The kiosk (Fyne, needs an X display) against the demo server and the virtual printer. The first
# build of a Fyne binary takes a few minutes; the kiosk shows "connecting" until the server is up.
if [ -d cmd/kiosk ]; then
  if [ -n "${DISPLAY:-}" ]; then
    kiosk_mode=(-windowed)
    [ "${KIOSK_FULLSCREEN:-}" = 1 ] && kiosk_mode=()
    echo "demo: starting the kiosk (hall students, printer tcp:127.0.0.1:9100); staff exit: hold the top-left corner 3 s, PIN 0000" >&2
    go run ./cmd/kiosk -server http://127.0.0.1:8080 -hall students -token demo-kiosk-students \
      -printer tcp:127.0.0.1:9100 -profile 80mm -outbox data/kiosk-outbox.db -pin 0000 "${kiosk_mode[@]}" &
    pids+=($!)
  else
    echo "demo: no X display (DISPLAY unset): not starting the kiosk; run it with DISPLAY set, or see docs/KIOSK.md" >&2
  fi
fi
# The hall display (Fyne, needs an X display; windowed, voice when espeak-ng and aplay exist). The
# web display needs nothing: http://127.0.0.1:8080/display/students
if [ -d cmd/display ] && [ -n "${DISPLAY:-}" ]; then
  go run ./cmd/display -server http://127.0.0.1:8080 -hall students -token demo-display-students -windowed &
  pids+=($!)
fi
echo "demo: hall display in any browser: http://127.0.0.1:8080/display/students" >&2
go run ./cmd/hallserver -demo "$@"
