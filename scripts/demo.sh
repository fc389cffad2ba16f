#!/usr/bin/env bash
# `make demo`: the real thing on embedded defaults. The reference platform with the demo school
# on a free loopback port, a canteen terminal enrolled to it, then the touch app:
#  - with a display (DISPLAY set, DEMO_HEADLESS unset): the app, with a panel of demo badges to
#    tap on screen and receipts printed to files, while `comptoir sync --daemon` runs beside it;
#  - without one (or DEMO_HEADLESS=1): the same app under a virtual X screen, walked through a
#    scripted service that saves a screenshot of each screen and every receipt (as text) in
#    $DEMO_DIR/out; the sales are then pushed and shown as the platform sees them.
# Everything in one fresh folder (DEMO_DIR, or a new /tmp/comptoir-demo-XXXX), named first and last.
set -uo pipefail
DEMO_DIR=${DEMO_DIR:-$(mktemp -d /tmp/comptoir-demo-XXXX)}
mkdir -p "$DEMO_DIR"
export COMPTOIR_DATA="$DEMO_DIR/terminal"
CENTRAL_DB="$DEMO_DIR/central.db"
OUT="$DEMO_DIR/out"
SCHOOL="Institut Saint-Michel"
IBAN="BE04 3631 3602 2231"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
PIDS=()

stop_all() {
  # the app or the scenario first (it stops its own virtual X screen), then sync, then the server
  local pid
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid=${PIDS[i]}
    kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  PIDS=()
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
run() {     # print, run, stop the demo if it fails
  printf '$ %s\n' "$*"
  "$@" || { rc=$?; echo "La démo s'arrête : « $* » a échoué (code $rc). Dossier : $DEMO_DIR" >&2; exit "$rc"; }
}
# the same for a long-running program: in the background and waited for, so that a signal to
# this script runs its clean-up at once (bash delays traps until a foreground command ends)
run_waited() {
  printf '$ %s\n' "$*"
  "$@" &
  PIDS+=($!)
  wait "${PIDS[-1]}"; rc=$?
  unset 'PIDS[-1]'
  [ $rc -eq 0 ] || { echo "La démo s'arrête : « $* » a échoué (code $rc). Dossier : $DEMO_DIR" >&2; exit $rc; }
}
# set KEY = VALUE in [SECTION] of the terminal's configuration (VALUE as TOML)
set_config() {
  local section=$1 key=$2 value=$3 file="$COMPTOIR_DATA/terminal.toml"
  awk -v s="[$section]" -v k="$key" -v v="$value" '
    /^\[/ { here = ($0 == s) }
    here && $1 == k && $2 == "=" { print k " = " v; next }
    { print }' "$file" > "$file.new" && mv "$file.new" "$file"
}

echo "Comptoir demo — folder: $DEMO_DIR"
say "— The school's platform (reference server) —"
run comptoir central init --db "$CENTRAL_DB" --school "$SCHOOL"
run comptoir central demo-data --db "$CENTRAL_DB" --students 800
CODE=$(comptoir central enrol-code --db "$CENTRAL_DB" --name "Cantine 1") || exit 1
echo "one-time enrolment code for « Cantine 1 »: $CODE"
comptoir central serve --db "$CENTRAL_DB" --port "$PORT" > "$DEMO_DIR/central.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do python3 -c "import urllib.request, sys
try: urllib.request.urlopen('$URL/api/v1/device', timeout=1)
except urllib.error.HTTPError: sys.exit(0)
except Exception: sys.exit(1)" && break; sleep 0.1; done
echo "platform serving on $URL (log: $DEMO_DIR/central.log)"

say "— The canteen terminal —"
run comptoir init --name "Cantine 1" --profile canteen
run comptoir enrol "$URL" "$CODE"
run comptoir sync --once
set_config school name "\"$SCHOOL\""
set_config school iban "\"$IBAN\""
set_config school bic "\"BBRUBEBB\""
set_config reader backend '"simulated"'
set_config printing receipt '"always"'        # every sale prints its receipt (to files here)
echo "configured: [school] $SCHOOL, IBAN $IBAN; simulated reader; receipts to $COMPTOIR_DATA/receipts"

if [ -n "${DISPLAY:-}" ] && [ -z "${DEMO_HEADLESS:-}" ]; then
  say "— The touch app (close its window to end the demo) —"
  echo "Log in as Marie (PIN 1234), or Luc (5678) for the admin screen; tap the badges on the right."
  comptoir sync --daemon > "$DEMO_DIR/sync.log" 2>&1 &
  PIDS+=($!)
  run_waited comptoir ui --badge-panel
  stop_all
  say "— Sync and the platform's journal —"
  run comptoir sync --once
  run comptoir central sales --db "$CENTRAL_DB" --period today
  echo; echo "Receipts printed: $COMPTOIR_DATA/receipts"
else
  say "— The touch app under a virtual X screen, walked through a lunch service —"
  run_waited comptoir ui --scenario "$OUT"
  say "— Sync (the day close too) and the platform's journal —"
  run comptoir sync --once
  run comptoir central sales --db "$CENTRAL_DB" --period today
  echo; echo "Screenshots: $OUT/screenshots   Receipts: $OUT/receipts"
fi
echo; echo "Demo done. Folder: $DEMO_DIR"
