"""Reading the school's bank statements (``sync.server.bank_statement``) as Belgian banks export
them, and crediting them once (``ledger.import_bank``, on a real central SQLite database).

Each case pins a rule the mutation run (``make mutation``, docs/mutation.md) found unpinned: the
column names in French, Dutch and English, Windows-1252 files, tab separators, zero and
one-cent amounts, and the bank reference that tells a new transfer from one already imported."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from kiosk.demo.school import structured_communication
from sync.models import MAX_CENTS, DataSet
from sync.server import bank_statement, ledger
from sync.server.bank_statement import parse, parse_amount, parse_communication, parse_day, read_text
from sync.server.errors import CentralError
from sync.server.storage import CentralStore

from .conftest import BRUSSELS

COMM = "+++090/9337/55493+++"       # a valid structured communication (mod 97)
DIGITS = "090933755493"


def one(text: str) -> bank_statement.BankLine:
    """The only line of a statement that must read without a problem."""
    lines, problems = parse(text)
    assert problems == [] and len(lines) == 1, (lines, problems)
    return lines[0]


def reasons(text: str) -> dict[int, str]:
    lines, problems = parse(text)
    assert lines == []
    return {p["line"]: str(p["reason"]) for p in problems}


# -- column names -----------------------------------------------------------------------------
@pytest.mark.parametrize("header, has_reference", [
    # French
    ("Date;Montant;Communication", False),
    ("Jour;Montant EUR;Communication structurée;Référence", True),
    ("Date valeur;Montant;Communication;Référence bancaire", True),
    ("Date de valeur;Montant;Communication structuree;Ref", True),
    ("Date d'exécution;Montant;Communication", False),
    ("Date opération;Montant;Communication", False),
    # Dutch
    ("Datum;Bedrag;Mededeling;Referentie", True),
    ("Valutadatum;Bedrag;Gestructureerde mededeling", False),
    # English
    ("Value date;Amount;Structured communication;Bank reference", True),
    ("Booking date;Amount EUR;Communication;Transaction ID", True),
    ("Day;Amount;Communication;Reference", True),
    ("Date;Amount;Communication;Id", True),
])
def test_column_names_in_french_dutch_and_english(header, has_reference):
    line = one(f"{header}\n20/11/2026;25,00;{COMM};BK-77\n")
    assert (line.line, line.day, line.amount_cents, line.communication) == (
        2, date(2026, 11, 20), 2500, COMM)
    assert line.key.startswith("bank-ref:" if has_reference else "bank:")


def test_columns_in_any_order_with_others_ignored_and_names_as_written():
    line = one("Compte;\"Communication\";Nom;'Montant';Date  Valeur;REFERENCE\n"
               f"BE68 5390 0754 7034;{COMM};Dubois;7,5;21/11/2026;X-1\n")
    assert (line.day, line.amount_cents, line.communication) == (date(2026, 11, 21), 750, COMM)
    assert line.written == {"date": "21/11/2026", "amount": "7,5", "communication": COMM}
    assert line.key == one(f"reference;date;amount;communication\nX-1;2026-01-01;1;{COMM}\n").key


def test_the_first_column_of_a_name_wins():
    line = one(f"Date;Date valeur;Montant;Communication\n20/11/2026;25/11/2026;3;{COMM}\n")
    assert line.day == date(2026, 11, 20)


def test_a_header_without_a_needed_column_names_what_is_missing():
    with pytest.raises(CentralError) as e:
        parse("Date;Nom;Référence\n20/11/2026;Dubois;1\n")
    assert e.value.code == "invalid"
    assert str(e.value) == ("line 1: the column names have no amount, communication column"
                            " (expected date, amount, communication)")
    with pytest.raises(CentralError, match="no date column"):
        parse("Montant;Mededeling\n3;x\n")


def test_a_first_line_of_data_is_data_whatever_its_other_cells_say():
    line = one(f"20/11/2026;25,00;{COMM};Id\n")         # a reference that reads like a name
    assert (line.line, line.amount_cents) == (1, 2500)


def test_without_a_header_the_columns_are_date_amount_communication_reference():
    first = one(f"20/11/2026;25,00;{COMM};BK-1\n")
    assert (first.line, first.amount_cents, first.key) == (1, 2500, one(
        f"reference;date;amount;communication\nBK-1;2026-11-21;1;{COMM}\n").key)
    # a first line that is neither a header nor data is a problem of line 1, not a header
    assert reasons(f"Nom;Prénom;Classe\n20/11/2026;25,00;{COMM}x\n") == {
        1: "bad date (e.g. 20/11/2026 or 2026-11-20); bad amount (euros with a decimal comma or"
           " dot, e.g. 25,00); not a structured communication (+++xxx/xxxx/xxxxx+++)",
        2: "not a structured communication (+++xxx/xxxx/xxxxx+++)"}


# -- files as banks write them ----------------------------------------------------------------
def test_windows_1252_file():
    data = ("Date;Montant;Communication;Nom;R\xe9f\xe9rence\r\n"
            f"20/11/2026;25,00;{COMM};Ren\xe9e M\xfcller;B€-1\r\n").encode("cp1252")
    data = data.replace(b"M\xfcller", b"M\xfcller\x81")       # a byte Windows-1252 leaves undefined
    text = read_text(data)
    assert "Référence" in text and "Renée Müller\ufffd" in text
    line = one(text)
    assert line.key == one(f"Référence;Date;Montant;Communication\nB€-1;1/1/2026;1;{COMM}\n").key


def test_utf8_with_or_without_byte_order_mark():
    text = f"Date;Montant;Communication;Référence\n20/11/2026;25,00;{COMM};R-1\n"
    assert read_text(text.encode()) == text
    assert read_text(b"\xef\xbb\xbf" + text.encode()) == text       # the mark is not a column name
    assert one(read_text(b"\xef\xbb\xbf" + text.encode())).line == 2


def test_tab_separated_file():
    line = one(f"\n\nDate\tMontant\tCommunication\n20/11/2026\t25,50\t{COMM}\n")
    assert (line.line, line.amount_cents) == (4, 2550)


def test_semicolon_wins_over_tab_and_comma_needs_quotes():
    line = one(f"Date;Montant;Communication;Nom\n20/11/2026;1,5;{COMM};Van\tDamme, Jo\n")
    assert line.amount_cents == 150
    line = one(f'date,amount,communication\n2026-11-20,"12,50",{COMM}\n')
    assert line.amount_cents == 1250
    # a blank first line does not decide the separator
    assert one(f"\n   \n20/11/2026;1;{COMM}\n").line == 3


def test_blank_lines_are_skipped_and_line_numbers_are_the_files():
    text = f"Date;Montant;Communication\n\n;;\n20/11/2026;0;{COMM}\n20/11/2026;1;{COMM}\n"
    lines, problems = parse(text)
    assert [x.line for x in lines] == [5]
    assert problems == [{"line": 4, "reason": "the amount is zero", "date": "20/11/2026",
                         "amount": "0", "communication": COMM}]


def test_a_short_line_is_a_problem_with_what_it_had():
    lines, problems = parse(f"Date;Montant;Communication\n20/11/2026;5\n20/11/2026;5;{COMM}\n")
    assert [x.line for x in lines] == [3]
    assert problems == [{"line": 2, "date": "20/11/2026", "amount": "5", "communication": "",
                         "reason": "expected at least 3 columns: date, amount, communication;"
                                   " no structured communication"}]


# -- amounts, days, communications ------------------------------------------------------------
@pytest.mark.parametrize("text, cents", [
    ("25", 2500), ("0,01", 1), ("0.01", 1), ("25,5", 2550), ("25.50", 2550), ("+1 250,00 €", 125000),
    ("1\xa0250,00\u202fEUR", 125000), ("3eur", 300), ("1000000000", MAX_CENTS),
])
def test_amounts(text, cents):
    assert parse_amount(text) == cents


ZERO, DEBIT = "the amount is zero", "not a credit (the amount is below zero)"
LARGE = "the amount is too large"
BAD = "bad amount (euros with a decimal comma or dot, e.g. 25,00)"


@pytest.mark.parametrize("text, why", [
    ("0", ZERO), ("0,00", ZERO), ("-5,00", DEBIT), ("- 5", DEBIT), ("1000000000,01", LARGE),
    ("douze", BAD), ("1,234", BAD), ("", BAD), ("1.000,00", BAD),
])
def test_amounts_refused(text, why):
    with pytest.raises(ValueError) as e:
        parse_amount(text)
    assert str(e.value) == why


@pytest.mark.parametrize("text, day", [
    ("2026-11-20", date(2026, 11, 20)), ("20/11/2026", date(2026, 11, 20)),
    ("20-11-2026", date(2026, 11, 20)), (" 20.11.2026 ", date(2026, 11, 20)),
    ("3/2/2026", date(2026, 2, 3)),
])
def test_days(text, day):
    assert parse_day(text) == day


@pytest.mark.parametrize("text", ["2026/11/20", "20/11/26", "", " 2026-11-20T10:00 "])
def test_days_refused(text):
    with pytest.raises(ValueError) as e:
        parse_day(text)
    assert e.value.args == (text.strip(),)      # the day as written
    with pytest.raises(ValueError, match="day is out of range"):
        parse_day("31/02/2026")


@pytest.mark.parametrize("text", [COMM, "***090/9337/55493***", DIGITS, " 090 9337 55493 ",
                                  "090.9337.55493", "+++090-9337-55493+++"])
def test_communications(text):
    assert parse_communication(text) == COMM


NONE, CHECK = "no structured communication", "bad check digit (mod 97): the communication was mistyped"
NOT = "not a structured communication (+++xxx/xxxx/xxxxx+++)"


@pytest.mark.parametrize("text, why", [
    ("", NONE), ("++++++", NONE), ("+++090/9337/55494+++", CHECK), ("+++090/9337/5549+++", NOT),
    ("+++abc/defg/hijkl+++", NOT), ("000000000000", NOT), ("090/9337\n/55493", NOT),
])
def test_communications_refused(text, why):
    with pytest.raises(ValueError) as e:
        parse_communication(text)
    assert str(e.value) == why


def test_a_line_break_inside_a_quoted_communication_is_a_problem():
    # (the problem's line is the one where the quoted cell ends)
    assert reasons(f'date;amount;communication\n20/11/2026;5;"{COMM[:10]}\n{COMM[10:]}"\n') == {
        3: "not a structured communication (+++xxx/xxxx/xxxxx+++)"}


# -- what is the same transfer ----------------------------------------------------------------
def test_the_keys_of_imported_transfers_never_change():
    """The platform keeps each credited line's key: a statement imported before an upgrade
    and again after it must find the same keys, or its transfers would be credited twice."""
    import hashlib

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    lines, _ = parse(f"20/11/2026;25;{COMM}\n20/11/2026;25;{COMM}\n20/11/2026;25;{COMM};BK 9\n")
    assert [x.key for x in lines] == [f"bank:{sha(f'2026-11-20|2500|{COMM}|1')}",
                                      f"bank:{sha(f'2026-11-20|2500|{COMM}|2')}",
                                      f"bank-ref:{sha('BK 9')}"]


def test_without_a_reference_the_same_transfer_twice_in_a_file_is_two_transfers():
    text = f"20/11/2026;25;{COMM}\n20/11/2026;25;{COMM}\n21/11/2026;25;{COMM}\n"
    lines, _ = parse(text)
    assert len({x.key for x in lines}) == 3
    assert [x.key for x in parse(text)[0]] == [x.key for x in lines]       # the same file again
    # another file covering the same day: its first such transfer is the first one
    assert one(f"20/11/2026;25;{COMM}\n").key == lines[0].key
    assert one(f"20/11/2026;25,01;{COMM}\n").key != lines[0].key


def test_with_a_reference_the_reference_alone_says_which_transfer_it_is():
    text = f"reference;date;amount;communication\nBK-1;20/11/2026;25;{COMM}\nBK-2;20/11/2026;25;{COMM}\n"
    a, b = parse(text)[0]
    assert a.key != b.key
    third = one(f"reference;date;amount;communication\nBK-3;20/11/2026;25;{COMM}\n")
    assert third.key not in (a.key, b.key)
    assert one(f"date;amount;communication;reference\n20/11/2026;25;{COMM}; BK-1 \n").key == a.key
    # a line whose reference cell is empty falls back to day, amount, communication
    assert one(f"reference;date;amount;communication\n;20/11/2026;25;{COMM}\n").key == one(
        f"20/11/2026;25;{COMM}\n").key


@pytest.fixture
def platform(tmp_path, demo_data):
    """The platform's database (SQLite file) with the demo school."""
    store = CentralStore(str(tmp_path / "central.db"), create=True,
                         now=lambda: datetime(2026, 11, 24, 7, 30, tzinfo=BRUSSELS))
    store.add_school("Institut Saint-Michel", "school-a")
    store.load("school-a", DataSet.model_validate(demo_data))
    yield store
    store.close()


def balance(store: CentralStore, wallet: str) -> int:
    return ledger.wallet_history(store, "school-a", wallet)["balance_cents"]


def test_a_third_identical_transfer_in_a_later_statement_is_credited(platform):
    """A parent pays the same amount with the same communication three times on one day; the
    bank puts two in Monday's statement and the third in Tuesday's. Each has its reference:
    the third is credited, and importing either statement again credits nothing."""
    comm = structured_communication(250_000_008)           # the demo wallet W00008
    start = balance(platform, "W00008")
    monday = ("Date;Montant;Communication;Référence\n"
              f"20/11/2026;12,00;{comm};2026-0101\n20/11/2026;12,00;{comm};2026-0102\n")
    tuesday = f"Date;Montant;Communication;Référence\n20/11/2026;12,00;{comm};2026-0103\n"
    first = ledger.import_bank(platform, "school-a", monday)
    assert (first["matched"], first["already_imported"]) == (2, 0)
    second = ledger.import_bank(platform, "school-a", tuesday)
    assert (second["matched"], second["matched_cents"], second["already_imported"]) == (1, 1200, 0)
    assert balance(platform, "W00008") == start + 3 * 1200
    for statement in (monday, tuesday):
        again = ledger.import_bank(platform, "school-a", statement)
        assert (again["matched"], again["already_imported"]) == (0, statement.count("\n") - 1)
    assert balance(platform, "W00008") == start + 3 * 1200


def test_a_line_naming_no_wallet_is_reported_with_what_it_said(platform):
    unknown = structured_communication(123_456_789)
    found = ledger.import_bank(platform, "school-a", f"date;amount;communication\n20/11/2026;5;{unknown}\n")
    assert (found["matched"], found["lines"]) == (0, 1)
    assert found["unmatched"] == [{"line": 2, "reason": "unknown communication: no wallet has it",
                                   "date": "20/11/2026", "amount": "5", "communication": unknown}]


def test_an_empty_statement_is_nothing_to_import():
    assert parse("") == ([], []) and parse("\n  \n\n") == ([], [])
