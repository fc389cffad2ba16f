"""The gettext catalogues (sync/common/locale): complete, translated, in step with the code, and
the command line speaking the language it is asked to, with no French left in Dutch or English.

After changing a text in the code: ``pybabel extract`` then ``pybabel update`` (see babel.cfg),
translate what is new or fuzzy in fr, nl and en, and run this file.
"""
from __future__ import annotations

import io
import os
import re
import string
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from sync.common import i18n

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=420)

ROOT = Path(__file__).resolve().parent.parent
POT = i18n.LOCALE_DIR / "comptoir.pot"

# Translations legitimately identical to the English msgid, per language (the msgid, or the
# msgctxt of a coded message). Keep it short: anything else identical is untranslated.
SAME_AS_ENGLISH = {
    "fr": {"Total", "Terminal", "Journal", "articles", "badges", "{detail}", "ok", "state_ok",
           "state_unknown", "total", "pages", "slip_total",
           "Date", "Article", "Version", "loaded_articles", "loaded_badges",
           "role_supervisor", "role_admin",      # "Supervision", "Administration"
           "flag_gluten", "flag_lupin", "per_page",
           "slip_seconds", "slip_minutes", "slip_hours_minutes",      # "45 s", "1 h 05 min"
           "Action", "Badge", "Badges", "Photo", "photocopies",         # the students' pages
           "Articles", "Catalogue", "Code", "gluten", "lupin"},       # the back office's catalogue
    "nl": {"Code", "Operators", "gluten",                            # the back office's catalogue
           "Terminal", "Printer", "Platform", "badges", "open", "online", "offline", "{detail}",
           "ok", "state_ok", "state_unknown", "printer",
           "{label}: {value}", "{label}:{pad} {value}", "{state}: {detail}",
           "{folder}  (schema v{version})", "badge {count}: {raw}  →  {uid}   ({reader})",
           "label_value", "slip_iban", "slip_bic", "flag_gluten",
           "loaded_badges", "sales_device", "{path}: {error}", "{where}: {problem}",
           "slip_seconds", "slip_minutes", "size_kb", "size_mb",
           "Badge", "Badges", "platform", "{label}:"},                # the students' pages
}


def catalogue(path: Path):
    with open(path, "rb") as f:
        return read_po(f)


def entries(cat) -> dict:
    return {(m.context, m.id): m for m in cat if m.id}


def forms(text: str | tuple) -> tuple:
    """A message's forms: one, or singular and plural (``ngettext``)."""
    return text if isinstance(text, tuple) else (text,)


def placeholders(text: str, python_format: bool) -> tuple:
    """``{name}`` fields (sorted) and, for %-format messages, the ``%`` conversions in order."""
    names = sorted(f for _, f, _, _ in string.Formatter().parse(text) if f is not None)
    percents = re.findall(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs%]", text) \
        if python_format else []
    return names, percents


@pytest.fixture(scope="module")
def template():
    return entries(catalogue(POT))


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_message_is_translated(lang, template):
    po = entries(catalogue(i18n.po_path(lang)))
    problems = []
    for key in template:
        t = po.get(key)
        label = f"{key[0] + ': ' if key[0] else ''}{key[1]!r}"
        if t is None:
            problems.append(f"missing: {label}")
        elif not all(forms(t.string)):
            problems.append(f"empty: {label}")
        elif t.fuzzy:
            problems.append(f"fuzzy: {label}")
        elif (lang != i18n.SOURCE_LANGUAGE and t.string == t.id
              and not {t.id, t.context} & SAME_AS_ENGLISH.get(lang, set())):
            problems.append(f"left in English: {label}")
    assert not problems, f"{lang}: " + "\n".join(problems)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_placeholders_match(lang):
    problems = []
    for m in catalogue(i18n.po_path(lang)):
        if m.id and all(forms(m.string)):
            source = forms(m.id)[-1]            # a plural: every form takes the plural's fields
            python_format = "python-format" in m.flags or "%" in source
            for text in forms(m.string):
                if placeholders(source, python_format) != placeholders(text, python_format):
                    problems.append(f"{m.context or ''} {m.id!r} → {m.string!r}")
    assert not problems, f"{lang}: placeholders differ:\n" + "\n".join(problems)


def test_catalogues_are_in_step_with_the_code(tmp_path):
    """Extract the code's messages as a translator would (babel.cfg) and compare the msgids
    with the template and with every catalogue: nothing new left out, nothing stale kept."""
    from babel.messages.frontend import CommandLineInterface
    fresh = tmp_path / "fresh.pot"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            CommandLineInterface().run(["pybabel", "-q", "extract", "-F", "babel.cfg",
                                        "-o", str(fresh), "."])
    finally:
        os.chdir(cwd)
    code = set(entries(catalogue(fresh)))
    for path in [POT] + [i18n.po_path(lang) for lang in i18n.LANGUAGES]:
        kept = set(entries(catalogue(path)))
        new, stale = sorted(code - kept, key=str), sorted(kept - code, key=str)
        assert not new and not stale, (
            f"{path.relative_to(ROOT)} is out of date (run pybabel extract/update, see babel.cfg):"
            f"\n  not in the catalogue: {new}\n  no longer in the code: {stale}")


def test_catalogues_compile_and_load():
    for lang in i18n.LANGUAGES:
        mo = i18n.compile_po(i18n.po_path(lang), lang)
        assert mo.startswith(b"\xde\x12\x04\x95")          # the .mo magic number
    assert i18n.translator("nl").gettext("Sale no. {seq}") == "Verkoop nr. {seq}"
    assert i18n.translator("en").pgettext("empty_cart", "The cart is empty.") == "The cart is empty."
    assert i18n.translator("de") is i18n.translator("fr")     # what we do not speak: French


def test_every_coded_message_renders_in_every_language():
    from kiosk import receipts
    from kiosk.ui.texts import T, tr
    from sync.common.messages import MESSAGES, render
    for lang in i18n.LANGUAGES:
        for code, source in MESSAGES.items():
            params = {f: 1 for _, f, _, _ in string.Formatter().parse(source) if f}
            text = render(code, params, lang)
            assert "{" not in text.replace("{detail}", ""), (lang, code, text)
        for key, source in T.items():
            params = {f: 1 for _, f, _, _ in string.Formatter().parse(source) if f}
            assert "{" not in tr(key, lang, **params), (lang, key)
        for key, source in receipts.TEXTS.items():          # what the printed slips say
            params = {f: 1 for _, f, _, _ in string.Formatter().parse(source) if f}
            assert "{" not in receipts._t(lang, key, **params), (lang, key)


def test_the_screens_use_only_known_keys():
    """The .kv files and the screens call ``tr('key')``: every key must be in kiosk.ui.texts
    (the .kv files hold no words of their own, so extracting texts.py covers them)."""
    from kiosk.ui.texts import T
    call = re.compile(r"""\btr\(\s*['"](\w+)['"]\s*[,)]""")   # tr('key', ...), not tr('kind_' + k)
    used = set()
    for path in (ROOT / "kiosk" / "ui").glob("*.kv"):
        used |= set(call.findall(path.read_text(encoding="utf-8")))
    for path in (ROOT / "kiosk" / "ui").glob("*.py"):
        if path.name != "texts.py":
            used |= set(call.findall(path.read_text(encoding="utf-8")))
    assert used, "no tr() call found: has the UI changed how it translates?"
    assert used <= set(T), sorted(used - set(T))


def test_kv_files_hold_no_words_of_their_own():
    """A literal ``text: '...'`` with letters in a .kv file would escape the catalogues; only
    the languages' own names (on the language buttons) may stand there."""
    allowed = {"Français", "Nederlands", "English"}
    found = []
    for path in (ROOT / "kiosk" / "ui").glob("*.kv"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = re.match(r"""\s*(?:text|title|hint_text):\s*['"]([^'"]*)['"]\s*$""", line)
            if m and re.search(r"[A-Za-zÀ-ÿ]{2,}", m.group(1)) and m.group(1) not in allowed:
                found.append(f"{path.name}:{n}: {m.group(1)}")
    assert not found, found


# -- the command line, for real ---------------------------------------------------------------

# Words only the French texts of the command line and its messages use (the demo school's own
# names, "Potage et pain", "Portefeuille", stay as the school wrote them).
FRENCH = ["Vente", "vente", "opération", "opérations", "dernière", "Dernière", "interrompu",
          "Caisse", "caisse", "élève", "élèves", "Solde", "solde", "virement", "Annulation",
          "Rapport", "clôture", "clôturée", "attente", "Intégrité", "Données", "Journée", "jamais",
          "n°", "Nouveau", "Retrait", "Impressions", "quel", "opérateur", "illisible", "inconnu",
          "rien", "brut", "ventes", "Plateforme", "Contenu", "réservé", "Réservé", "aujourd'hui",
          "imprimé", "empreinte", "Total brut", "Opérations", "recrédités", "écrivez", "Imprimante",
          "Potage et pain"]
FRENCH_RE = re.compile(r"(?<![\w°])(" + "|".join(map(re.escape, FRENCH)) + r")(?!\w)")

EXPECTED = {
    "nl": ["Verkoop nr. 1", "Nieuw saldo", "Soep met brood", "X-rapport", "Verrichtingen nr.",
           "Integriteit", "Onbekend artikel: NOPE.", "onleesbaar", "welke gebruiker?",
           "overschrijving", "Kassa intact", "Annulering nr. 3 van verkoop nr. 2"],
    "en": ["Sale no. 1", "New balance of", "Soup and bread", "X report", "Entries no.",
           "Integrity", "Unknown article: NOPE.", "cannot read", "which operator?", "transfer",
           "Terminal intact", "Void no. 3 of sale no. 2"],
}


def comptoir(folder, *args, env=None):
    full = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    full.update({"COMPTOIR_DATA": str(folder), "PYTHONPATH": str(ROOT)}, **(env or {}))
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=full, cwd=ROOT,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("i18n") / "terminal"
    assert comptoir(folder, "init", "--name", "Cantine 1").returncode == 0
    demo = folder.parent / "demo.json"
    assert comptoir(folder, "demo-data", "--students", "30", "--output", str(demo)).returncode == 0
    assert comptoir(folder, "import", str(demo)).returncode == 0
    return folder


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_cli_speaks_the_language_asked_and_no_french(lang, store, tmp_path):
    import shutil

    from kiosk.demo.school import Badge
    folder = tmp_path / "terminal"
    shutil.copytree(store, folder)
    seller = {"COMPTOIR_OPERATOR": "Marie", "COMPTOIR_PIN": "1234"}
    boss = {"COMPTOIR_OPERATOR": "Luc", "COMPTOIR_PIN": "5678"}
    runs = [
        (("init",), {}, 0),
        (("import", str(store.parent / "demo.json")), {}, 0),
        (("sell", "--badge", Badge.EMMA, "SOUP"), seller, 0),
        (("sell", "--badge", Badge.CHLOE, "SOUP"), seller, 0),
        (("balance", "--badge", Badge.EMMA), {}, 0),
        (("void", "2", "--reason", "test"), boss, 0),
        (("report", "x"), boss, 0),
        (("status",), {}, 0),
        (("check",), {}, 0),
        (("operator", "list"), {}, 0),
        (("sell", "--badge", Badge.LINA, "NOPE"), seller, 3),          # unknown article
        (("sell", "--badge", Badge.LINA, "SOUP=x"), seller, 2),        # wrong usage
        (("sell", "--badge", Badge.LINA, "SOUP"), {}, 2),              # no operator
        (("sell", "--badge", Badge.LINA, "SOUP"), {**seller, "COMPTOIR_PIN": "0000"}, 5),
        (("journal", "export", "--from", "yesterday"), {}, 2),
        (("operator", "add"), {}, 2),
        (("--help",), {}, 0),
        (("sell", "--help"), {}, 0),
    ]
    out = []
    for args, env, rc in runs:
        proc = comptoir(folder, "--lang", lang, *args, env=env)
        assert proc.returncode == rc, (args, proc.stdout, proc.stderr)
        out.append(f"$ comptoir {' '.join(args)}\n{proc.stdout}{proc.stderr}")
    text = "\n".join(out)
    french = sorted(set(FRENCH_RE.findall(text)))
    assert not french, f"French words {french} in:\n{text}"
    missing = [words for words in EXPECTED[lang] if words not in text]
    assert not missing, f"{missing} not in:\n{text}"


def test_cli_language_comes_from_the_terminal_then_the_environment(store, tmp_path):
    import shutil
    folder = tmp_path / "terminal"
    shutil.copytree(store, folder)
    config = folder / "terminal.toml"
    config.write_text(config.read_text().replace('language = "fr"', 'language = "nl"'))
    assert "Integriteit" in comptoir(folder, "status").stdout
    assert "Integrity" in comptoir(folder, "status", env={"COMPTOIR_LANG": "en"}).stdout
    assert "Intégrité" in comptoir(folder, "--lang", "fr", "status",
                                   env={"COMPTOIR_LANG": "en"}).stdout
    assert "Intégrité" in comptoir(store, "status").stdout                  # French by default


def test_log_lines_of_the_agent_follow_the_language(caplog):
    """``comptoir sync`` and ``printer run`` show the agent's and the worker's log lines: the
    CLI translates them (their messages are msgids, see babel.cfg)."""
    import logging

    from kiosk.cli import base
    from kiosk.cli.logs import translate_logs
    translate_logs()
    base.set_language("nl")
    try:
        with caplog.at_level(logging.INFO):
            logging.getLogger("comptoir.sync").warning("pull cursor expired: full resync")
            logging.getLogger("comptoir.sync").warning("sync failed: %s", "x")
    finally:
        base.set_language(i18n.DEFAULT_LANGUAGE)
    assert caplog.messages == ["ontvangstcursor verlopen: volledige hersynchronisatie",
                               "synchronisatie mislukt: x"]


def test_the_touch_app_takes_the_language_asked(store):
    """``comptoir --lang nl ui``: the screens speak Dutch whatever the terminal's configuration."""
    from drivers.badge.simulated import SimulatedReader
    from kiosk.ui.terminal import Terminal
    from kiosk.ui.texts import tr
    terminal = Terminal.open(store, reader=SimulatedReader(), language="nl")
    try:
        assert terminal.config.terminal.language == "nl"
        assert tr("badge_to_pay", terminal.config.terminal.language) == "Badge om te betalen"
    finally:
        terminal.close()


# -- the platform's command line (comptoir central), for real ----------------------------------

# Words only its French texts use (the demo school's data is not printed by these commands).
PLATFORM_FRENCH = FRENCH + ["élèves", "portefeuille", "Portefeuille", "crédités", "recharge",
                            "lignes", "chiffre", "contrôle", "fuseau", "horaire", "caisse",
                            "Aucune", "aucune", "école", "période", "plateforme", "serveur"]
PLATFORM_FRENCH_RE = re.compile(r"(?<![\w°])(" + "|".join(map(re.escape, PLATFORM_FRENCH))
                                + r")(?!\w)")
PLATFORM_EXPECTED = {
    "nl": ["12 leerlingen", "Geen verkoop in deze periode.", "0 regels — totaal:",
           "portemonnee W00001:", "opgeladen, saldo", "oplading", "saldo: ",
           "overschrijvingsregels: 1; geboekt: 0", "verkeerd controlegetal (mod 97)",
           "regel 2: verkeerd controlegetal", "geen portemonnee 'W-NOPE' in deze school",
           "nog geen kassa ingeschreven", "tijdzone: Europe/Brussels", "(de laatste): bijgewerkt",
           "reservaties sluiten om 08:30", "De centrale referentieserver.",
           "het verkoopjournaal, nieuwste eerst", "geen dag (JJJJ-MM-DD)"],
    "en": ["12 students", "No sale in this period.", "0 lines — total:", "wallet W00001: €5.00",
           "credited, balance", "top-up", "balance: €", "1 transfer lines: 0 credited",
           "line 2: bad check digit (mod 97)", "no wallet 'W-NOPE' in this school",
           "no terminal enrolled yet", "time zone: Europe/Brussels", "(head): up to date",
           "reservations close at 08:30", "The reference central server.",
           "the sales journal, newest first", "not a day (YYYY-MM-DD)"],
    "fr": ["12 élèves", "Aucune vente sur cette période.", "0 ligne — total :",
           "portefeuille W00001 :", "crédités, solde", "recharge", "solde : ",
           "lignes de virement : 1 ; créditées : 0", "ligne 2 : chiffre de contrôle faux",
           "pas de portefeuille 'W-NOPE' dans cette école", "aucune caisse inscrite",
           "fuseau horaire : Europe/Brussels", "(la dernière) : à jour",
           "les réservations ferment à 08:30", "Le serveur central de référence.",
           "le journal des ventes, les plus récentes d'abord", "pas un jour (AAAA-MM-JJ)"],
}


@pytest.mark.parametrize("lang", ["nl", "en", "fr"])
def test_platform_cli_speaks_the_language_asked(lang, tmp_path):
    """``comptoir central``: its lines, tables, help and refusals (the platform's English
    messages, said through the catalogues) in the language asked, with no French in Dutch or
    English; ``--lang`` before ``central``, after it, after the command, or $COMPTOIR_LANG."""
    db = str(tmp_path / "central.db")
    bank = tmp_path / "extrait.csv"
    bank.write_text("date;amount;communication\n21/11/2026;10,00;+++025/0000/00150+++\n",
                    encoding="utf-8")
    runs = [
        (("init", "--db", db, "--school", "Institut Saint-Michel"), 0),
        (("demo-data", "--db", db, "--students", "12"), 0),
        (("enrol-code", "--db", db, "--name", "Cantine 1"), 0),
        (("sales", "--db", db, "--period", "today"), 0),
        (("topup", "--db", db, "--wallet", "W00001", "--euros", "5"), 0),
        (("wallet", "--db", db, "--wallet", "W00001"), 0),
        (("devices", "--db", db), 0),
        (("import-bank", str(bank), "--db", db), 0),
        (("wallet", "--db", db, "--wallet", "W-NOPE"), 1),            # a refusal of the ledger
        (("timezone", "--db", db), 0),
        (("cutoff", "--db", db), 0),
        (("migrate", "--db", db), 0),
        (("--help",), 0),
        (("sales", "--help"), 0),
        (("sales", "--db", db, "--from", "24/11/2026"), 2),          # argparse's type check
    ]
    out = []
    for n, (args, rc) in enumerate(runs):
        where = n % 4       # every way of giving the language
        if where == 0:
            proc = comptoir(tmp_path, "--lang", lang, "central", *args)
        elif where == 1:
            proc = comptoir(tmp_path, "central", "--lang", lang, *args)
        elif where == 2 and args[0] != "--help":
            proc = comptoir(tmp_path, "central", *args[:1], "--lang", lang, *args[1:])
        else:
            proc = comptoir(tmp_path, "central", *args, env={"COMPTOIR_LANG": lang})
        assert proc.returncode == rc, (args, proc.stdout, proc.stderr)
        out.append(f"$ comptoir central {' '.join(args)}\n{proc.stdout}{proc.stderr}")
    text = "\n".join(out)
    if lang != "fr":
        french = sorted(set(PLATFORM_FRENCH_RE.findall(text)))
        assert not french, f"French words {french} in:\n{text}"
    missing = [words for words in PLATFORM_EXPECTED[lang] if words not in text.replace("\xa0", " ")]
    assert not missing, f"{missing} not in:\n{text}"


def test_platform_cli_speaks_french_by_default(tmp_path):
    db = str(tmp_path / "central.db")
    proc = comptoir(tmp_path, "central", "enrol-code", "--db", db, "--name", "Cantine 1")
    assert proc.returncode == 1 and "pas de base de données centrale" in proc.stderr, proc.stderr
