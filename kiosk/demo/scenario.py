"""The scripted demo: the real touch app on a terminal's data folder, under a virtual X screen,
walked by its autopilot through a canteen service (login, a cart, rush mode, a refusal, a
double tap, a sandwich pickup, the balance check, admin: sync now, X report, day close).

Each step prints one line, saves a screenshot (``OUT/screenshots/NN-name.png``) and checks
what the screen answers; every receipt the print worker printed during the walk is copied
(``OUT/receipts/*.escpos``) and decoded to text (``*.txt``). A step that does not get the
expected answer stops the walk with a clear message, a screenshot of what was on screen,
and a non-zero exit code.

    comptoir --data DIR ui --scenario OUT        (or: python -m kiosk.ui --data DIR --scenario OUT)

``make demo`` runs it (scripts/demo.sh) when there is no display.

The folder must hold the demo school (``comptoir central demo-data`` through sync, or
``comptoir ui --demo``): the walk uses its badges (``kiosk.demo.school.Badge``) and PINs. Photocopies
are sold at a reception terminal, which this canteen terminal is not: the walk leaves them out
and says so.
"""
from __future__ import annotations

import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.demo.school import DEMO_BADGES, DEMO_PINS, Badge

if TYPE_CHECKING:
    from kiosk.ui.autopilot import Driver
    from kiosk.ui.terminal import Terminal

SOUP = "Potage et pain\n1,00\xa0€"
WATER = "Eau 50 cl\n0,80\xa0€"


def say(text: str) -> None:
    print(text, flush=True)             # one line per step, seen at once even through a pipe


class ScenarioFailed(Exception):
    pass


def expect(condition: object, what: str) -> None:
    if not condition:
        raise ScenarioFailed(what)


class WalkClock:
    """The walk's time, given to the counter service (its clock seam): the wall clock plus
    the time the walk skips, and held still while a step needs two taps "at once". So no step
    depends on the machine's speed: on a loaded machine the double tap's two taps came 2.49 s
    apart, past the 2 s window, and the question was never asked.

    >>> clock = WalkClock()
    >>> with clock.held():
    ...     first, then = clock.now(), clock.now()
    >>> first == then, clock.now() >= then
    (True, True)
    >>> before = clock.now(); clock.skip(3); (clock.now() - before).total_seconds() >= 3
    True
    """

    def __init__(self) -> None:
        self._skipped = timedelta(0)
        self._held: datetime | None = None

    def now(self) -> datetime:
        if self._held is not None:
            return self._held
        return datetime.now(timezone.utc) + self._skipped

    def skip(self, seconds: float) -> None:
        """Let ``seconds`` pass at once (the double-tap window, say)."""
        self._skipped += timedelta(seconds=seconds)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Time stands still inside (it then goes on from the wall clock: never backwards)."""
        self._held = self.now()
        try:
            yield
        finally:
            self._held = None


class Scenario:
    """The walk's state: the app's driver, the terminal and its clock, where the files go."""

    def __init__(self, driver: Driver, terminal: Terminal, out: Path,
                 echo: Callable[[str], None] = say, clock: WalkClock | None = None):
        self.d, self.terminal, self.out, self.echo = driver, terminal, Path(out), echo
        self.clock = clock or WalkClock()
        self.shots: list[Path] = []
        self.synced: dict | None = None
        self.skipped: list[str] = []

    # -- helpers ---------------------------------------------------------------------------
    def shot(self, name: str) -> Path:
        path = self.out / "screenshots" / f"{len(self.shots) + 1:02d}-{name}.png"
        self.d.screenshot(path)
        self.shots.append(path)
        return path

    def badge(self, uid: str) -> None:
        """A tap on the demo panel's button for this badge (the simulated reader gets it)."""
        self.d.tap(DEMO_BADGES[uid], root=self.d.app.root_view.ids.demo)

    def result(self, screen: Any = None) -> str:
        return self.d.texts((screen or self.d.screen()).ids.result)

    def answer(self, sale: Any, shown: float, what: str) -> str:
        """The answer put on screen after ``shown``, read in the frame it appeared: a rush
        answer goes back to "tap the badge" after a few seconds, and a slow machine must not
        make the walk miss it."""
        return self.d.wait_for(lambda: sale.last_shown_at > shown and self.result(sale), what=what)

    def nav(self, text: str) -> None:
        self.d.tap(text, root=self.d.app.root_view.ids.nav)

    def pin(self, digits: str) -> None:
        for digit in digits:
            self.d.tap(digit)
        self.d.tap("OK")

    def later(self) -> None:
        """Let the double-tap window pass: the same badge again now is a new purchase."""
        self.clock.skip(self.terminal.config.policy.double_tap_seconds + 1)

    def paid(self, sale: Any, uid: str) -> str:
        shown = sale.last_shown_at
        self.badge(uid)
        text = self.answer(sale, shown, "the answer to the badge")
        expect("PAYÉ" in text, f"the sale was not paid; the screen says: {text!r}")
        return text

    # -- the steps ---------------------------------------------------------------------------
    def login(self):
        d = self.d
        d.wait_for(lambda: d.buttons(text="Marie"), what="the operators on the login screen")
        self.shot("login")
        from kiosk.ui.autopilot import login
        login(d, "Marie", DEMO_PINS["Marie"])
        expect(d.app.screens.current == "sale", "Marie's login did not open the sale screen")
        return "Marie (vendeuse) connectée"

    def cart(self):
        d, sale = self.d, self.d.screen("sale")
        d.tap(SOUP)
        d.tap(SOUP)
        d.tap("Boissons")
        d.tap(WATER)
        expect(dict(sale.cart) == {"SOUP": 2, "WATER": 1}, f"the cart holds {dict(sale.cart)}")
        self.shot("cart")
        d.tap("Badge pour payer")
        text = self.paid(sale, Badge.EMMA)
        self.shot("cart-paid")
        d.tap("Fermer")
        return "panier 2 × potage + 1 eau, payé par badge : " + text.split("\n")[-1]

    def rush(self):
        d, sale = self.d, self.d.screen("sale")
        d.tap("Potage")                     # the soups' category (the cart left us in drinks)
        d.tap("Mode rush")
        d.tap(SOUP)
        d.wait_for(lambda: sale.rush_article == "SOUP", what="rush mode")
        self.later()                        # Emma paid her cart a moment ago
        for uid in (Badge.EMMA, Badge.LOUIS_RESERVED, Badge.CHLOE):
            self.paid(sale, uid)
        self.shot("rush-three-soups")
        return "mode rush : 3 potages, un badge chacun"

    def refusal(self):
        sale = self.d.screen("sale")
        shown = sale.last_shown_at
        self.badge(Badge.NOAH)
        text = self.answer(sale, shown, "the answer to Noah's badge")
        expect("REFUSÉ" in text and "Il manque" in text, f"no refusal shown: {text!r}")
        self.shot("insufficient-balance")
        return "solde insuffisant : refusé, " + next(
            line for line in text.split("\n") if "Il manque" in line)

    def double_tap(self):
        d, sale = self.d, self.d.screen("sale")
        self.later()                        # Emma's rush soup was a while ago
        with self.clock.held():             # the two taps at once, however slow the machine
            self.paid(sale, Badge.EMMA)
            self.badge(Badge.EMMA)          # the same badge again
            d.wait_for(lambda: getattr(sale, "confirm_view", None) is not None
                       and sale.confirm_view.parent, what="the double-tap question")
        question = d.texts(sale.confirm_view)
        expect("Confirmer une deuxième vente\xa0?" in question, f"unexpected question: {question!r}")
        self.shot("double-tap-question")
        d.tap("Annuler", root=sale.confirm_view)
        d.wait_for(lambda: not sale.confirm_view.parent, what="the question to close")
        d.tap("Arrêter le rush")
        return "double passage du même badge : la caisse demande, l'opératrice annule"

    def pickup(self):
        d = self.d
        self.nav("Sandwichs")
        pickup = d.screen("pickup")
        d.wait_for(lambda: pickup.rows, what="today's reservations")
        self.shot("pickup-list")
        self.badge(Badge.LOUIS_RESERVED)
        d.wait_for(lambda: pickup.to_deliver, what="Louis's reservation")
        self.shot("pickup-found")
        d.tap("Remettre 1")
        d.wait_for(lambda: pickup.ids.result.kind == "ok", what="the handover")
        expect("REMIS" in self.result(pickup), "the sandwich was not handed over")
        self.shot("pickup-handed-over")
        self.badge(Badge.LOUIS_RESERVED)
        d.wait_for(lambda: pickup.ids.result.kind == "refused", what="the second pickup refused")
        text = self.result(pickup)
        expect("Déjà retiré" in text, f"second pickup not refused as expected: {text!r}")
        self.shot("pickup-second-refused")
        return "sandwich réservé remis ; deuxième retrait refusé (« Déjà retiré »)"

    def photocopies(self):
        self.skipped.append("photocopies (écran d'une caisse « accueil », pas de cette caisse cantine)")
        return None

    def balance(self):
        d = self.d
        self.nav("Solde")
        screen = d.screen("balance")
        self.badge(Badge.EMMA)
        d.wait_for(lambda: screen.shown and screen.name_text, what="the balance card")
        text = d.texts(screen)
        expect("Portefeuille" in text, f"no balance shown: {text!r}")
        self.shot("balance")
        return "consultation du solde : " + next(line for line in text.split("\n") if "Portefeuille" in line)

    def admin(self):
        d = self.d
        self.nav("Gestion")
        d.tap("Luc\nSupervision")                   # a supervisor's PIN; Marie stays logged in
        self.pin(DEMO_PINS["Luc"])
        d.wait_for(lambda: d.app.screens.current == "admin", what="the admin screen")
        admin = d.screen("admin")
        self.shot("admin")
        d.tap("Synchroniser maintenant")
        d.wait_for(lambda: not admin.syncing and admin.notice
                   and "Synchronisation en cours" not in admin.notice, timeout=30, what="the sync to finish")
        expect("Synchronisé" in admin.notice, f"sync failed: {admin.notice}")
        self.synced = admin.notice
        self.shot("admin-synced")
        d.tap("Rapports X / Z")
        d.tap("Rapport X")
        d.wait_for(lambda: admin.report_text, what="the X report")
        self.shot("report-x")
        d.tap("Clôture Z")
        d.tap("Clôture Z", root=d.app._modal)
        d.wait_for(lambda: "clôturée" in admin.notice, what="the day close")
        self.shot("report-z")
        return f"Luc (responsable) : {self.synced} ; rapport X ; clôture Z"

    STEPS = ("login", "cart", "rush", "refusal", "double_tap", "pickup", "photocopies", "balance",
             "admin")

    # -- receipts ------------------------------------------------------------------------------
    def printed_folder(self) -> Path:
        path = Path(self.terminal.config.printer.path)
        return path if path.is_absolute() else self.terminal.folder / path

    def wait_for_printing(self, timeout: float = 20.0) -> None:
        """Every job queued during the walk printed (the worker prints in its own thread)."""
        def pending():
            with self.terminal.service.store.read() as conn:
                return conn.execute("SELECT status, COUNT(*) FROM print_jobs WHERE status != 'printed'"
                                    " GROUP BY status").fetchall()
        end = time.monotonic() + timeout
        while True:
            self.terminal.wake_printer()
            left = dict(self.terminal.submit(pending).result())
            if not left:
                return
            expect("failed" not in left, f"{left['failed']} print job(s) failed (see 'comptoir status')")
            expect(time.monotonic() < end,
                   f"{sum(left.values())} print job(s) still waiting after {timeout:.0f} s")
            self.d.pump(0.2)

    def collect_receipts(self, before: set[str]) -> list[Path]:
        from kiosk.demo.escpos_decode import decode
        target = self.out / "receipts"
        target.mkdir(parents=True, exist_ok=True)
        made = []
        for path in sorted(self.printed_folder().glob("*.escpos")):
            if path.name in before:
                continue
            shutil.copy2(path, target / path.name)
            decoded = decode(path.read_bytes())
            lines = [item.text if not isinstance(item, tuple) else f"[QR] {item[1]}"
                     if item[0] == "qr" else f"[image {item[1]}x{item[2]}]"
                     for item in decoded.items]
            text_path = target / (path.stem + ".txt")
            text_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            text_path.chmod(0o600)          # receipts carry students' names, as the .escpos do
            made.append(text_path)
        return made

    # -- the whole walk --------------------------------------------------------------------------
    def run(self) -> int:
        before = {p.name for p in self.printed_folder().glob("*.escpos")}
        for number, name in enumerate(self.STEPS, start=1):
            label = f"[{number}/{len(self.STEPS)}] {name.replace('_', ' ')}"
            try:
                said = getattr(self, name)()
            except Exception as e:              # AssertionError from the autopilot included
                try:
                    self.shot(f"FAILED-{name}")
                except Exception:
                    pass
                self.echo(f"{label} : ÉCHEC — {e}")
                self.echo(f"La démo s'arrête ici ; captures d'écran dans {self.out / 'screenshots'}")
                return 1
            self.echo(f"{label} : {said}" if said else f"{label} : non montré — {self.skipped[-1]}")
        try:
            self.wait_for_printing()
        except ScenarioFailed as e:
            self.echo(f"Impression : ÉCHEC — {e}")
            return 1
        receipts = self.collect_receipts(before)
        self.summary(receipts)
        return 0

    def summary(self, receipts: list[Path]) -> None:
        from kiosk import lookups
        service = self.terminal.service

        def read():
            sales = lookups.sales_of_day(service.store, service.today())
            people = []
            for uid in (Badge.EMMA, Badge.NOAH, Badge.CHLOE, Badge.LOUIS_RESERVED):
                who = service.identify(uid)
                people.append((DEMO_BADGES[uid].split(":")[0], who.wallets[0].balance_cents))
            status = lookups.terminal_status(service.store, self.terminal.sync.enrolled)
            return sales, people, status
        sales, people, status = self.terminal.submit(read).result()
        money = service_money(service)
        echo = self.echo
        echo("")
        echo("Résumé de la démo (école de démonstration : élèves fictifs)")
        echo(f"  Ventes ({len(sales)}) :")
        for s in reversed(sales):           # in the order they were made
            echo(f"    n°{s.seq}  {s.student}  {s.articles}  {money(-s.amount_cents)}"
                 + ("  (annulée)" if s.voided else ""))
        echo("  Soldes :")
        for name, cents in people:
            echo(f"    {name} : {money(cents)}")
        echo(f"  Synchronisation : {self.synced or 'pas faite'} ;"
             f" {status.waiting} opération(s) encore à envoyer (la clôture Z, après la synchro)")
        for what in self.skipped:
            echo(f"  Non montré : {what}")
        echo(f"  Captures d'écran ({len(self.shots)}) : {self.out / 'screenshots'}")
        echo(f"  Tickets imprimés ({len(receipts)}, en texte et en ESC/POS) : {self.out / 'receipts'}")


def service_money(service):
    from sync.common.money import format_cents
    lang = service.config.terminal.language
    return lambda cents: format_cents(cents, lang)


def run_scenario(folder: Path, out: Path, echo: Callable[[str], None] = say) -> int:
    """Start a virtual X screen and the app on ``folder``, walk the scenario into ``out``;
    0 when every step got its expected answer."""
    from drivers.badge.simulated import SimulatedReader
    from kiosk.ui.autopilot import Driver, Xvfb, start_kivy
    from kiosk.ui.terminal import DB_NAME, Terminal

    folder, out = Path(folder), Path(out)
    if not (folder / DB_NAME).exists():
        print(f"comptoir: pas de caisse dans {folder} : lancez d'abord 'comptoir init'"
              " (et 'comptoir enrol').", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    # stopped by a signal (the demo script's clean-up): unwind, so that Xvfb is stopped too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    xvfb = Xvfb()
    try:
        start_kivy(xvfb.display)
        clock = WalkClock()
        terminal = Terminal.open(folder, reader=SimulatedReader(), clock=clock)
        try:
            driver = Driver.start(terminal, badge_panel=DEMO_BADGES)
            try:
                return Scenario(driver, terminal, out, echo, clock).run()
            finally:
                driver.app.detach()
        finally:
            terminal.close()
    finally:
        xvfb.stop()
