#!/usr/bin/env bash
# `make demo` (until the touch UI lands): a lunch service on the command line against the
# demo school, in a fresh data folder. Every command is printed before it runs.
set -uo pipefail
DEMO_DIR=${DEMO_DIR:-$(mktemp -d /tmp/comptoir-demo-XXXX)}
export COMPTOIR_DATA="$DEMO_DIR/terminal"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; rc=$?; [ $rc -eq 0 ] || echo "  (exit code $rc)"; }
as() { local who=$1 pin=$2; shift 2; COMPTOIR_OPERATOR=$who COMPTOIR_PIN=$pin step "$@"; }

echo "Comptoir demo — data folder: $COMPTOIR_DATA"
step comptoir init --name "Cantine 1" --profile canteen
step comptoir demo-data --students 800 --output "$DEMO_DIR/demo-school.json"
step comptoir import "$DEMO_DIR/demo-school.json"
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
echo; echo "— Checks —"
step comptoir check
step comptoir status
step comptoir journal export --format csv --output "$DEMO_DIR/journal.csv"
echo; echo "Demo done. Journal export: $DEMO_DIR/journal.csv — store: $COMPTOIR_DATA/comptoir.db"
