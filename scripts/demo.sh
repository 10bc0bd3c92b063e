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
go run ./cmd/hallserver -demo "$@"
