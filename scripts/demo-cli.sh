#!/usr/bin/env bash
# `make demo-cli`: the reference platform with the demo school, a
# terminal enrolled to it, a lunch service on the command line, the sales pushed and seen on
# the platform. Everything in a fresh folder; every command is printed before it runs.
set -uo pipefail
DEMO_DIR=${DEMO_DIR:-$(mktemp -d /tmp/comptoir-demo-XXXX)}
export COMPTOIR_DATA="$DEMO_DIR/terminal"
CENTRAL_DB="$DEMO_DIR/central.db"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null' EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; rc=$?; [ $rc -eq 0 ] || echo "  (exit code $rc)"; }
as() { local who=$1 pin=$2; shift 2; COMPTOIR_OPERATOR=$who COMPTOIR_PIN=$pin step "$@"; }

echo "Comptoir demo — folder: $DEMO_DIR"
echo; echo "— The school's platform (reference server) —"
step comptoir central init --db "$CENTRAL_DB" --school "Institut Saint-Michel"
step comptoir central demo-data --db "$CENTRAL_DB" --students 800
CODE=$(comptoir central enrol-code --db "$CENTRAL_DB" --name "Cantine 1")
echo "one-time enrolment code for « Cantine 1 »: $CODE"
comptoir central serve --db "$CENTRAL_DB" --port "$PORT" > "$DEMO_DIR/central.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do python3 -c "import urllib.request, sys
try: urllib.request.urlopen('$URL/api/v1/device', timeout=1)
except urllib.error.HTTPError: sys.exit(0)
except Exception: sys.exit(1)" && break; sleep 0.1; done
echo "platform serving on $URL (log: $DEMO_DIR/central.log)"
echo; echo "— The canteen terminal —"
step comptoir init --name "Cantine 1" --profile canteen
step comptoir enrol "$URL" "$CODE"
step comptoir sync --once
echo; echo "— Lunch rush: Marie (seller) at the canteen —"
as Marie 1234 comptoir sell --badge 04A1B2C3 SOUP
as Marie 1234 comptoir sell --badge 04A1B2C3 SOUP                      # double tap: asks
as Marie 1234 comptoir sell --badge 04112233445566 SOUP                # balance 0: refused
as Marie 1234 comptoir sell --badge 04778899AABBCC SANDW-HAM           # negative balance
as Marie 1234 comptoir sell --badge 04DEAD01 SOUP                      # blocked badge
as Marie 1234 comptoir sell --badge 05000000 SOUP                      # unknown badge
as Marie 1234 comptoir sell --badge 04C0FFEE SOUP                      # gluten: must confirm
as Marie 1234 comptoir sell --badge 04C0FFEE SOUP --confirm allergen
as Marie 1234 comptoir sell --badge 04BEEF02 JUICE                     # parents blocked drinks
as Marie 1234 comptoir sell --badge 04BEEF02 SOUP APPLEx2
echo; echo "— Sandwich pickup —"
step comptoir balance --badge 04CAFE04
as Marie 1234 comptoir pickup --badge 04CAFE04
as Marie 1234 comptoir pickup --badge 04CAFE04                         # second time: refused
echo; echo "— Supervisor —"
as Marie 1234 comptoir void 1                                          # seller may not void
as Luc 5678 comptoir void 1 --reason "erreur de caisse"
as Luc 5678 comptoir report x
as Luc 5678 comptoir report z
as Marie 1234 comptoir sell --badge 04A1B2C3 SOUP                      # day closed
echo; echo "— Sync and checks —"
step comptoir sync --once
step comptoir check
step comptoir status
step comptoir journal export --format csv --output "$DEMO_DIR/journal.csv"
echo; echo "— On the platform: the sales journal parents see —"
step comptoir central sales --db "$CENTRAL_DB" --period today
echo; echo "Demo done. Folder: $DEMO_DIR (terminal store, platform database, journal.csv)"
