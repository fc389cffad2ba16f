"""``comptoir import``: a bad file is refused with a clear error and changes nothing."""
from __future__ import annotations

import copy
import json

import pytest

from kiosk import importer
from kiosk.demo.school import Badge
from sync.common.errors import AuthError, DataImportError


def dump(store):
    return list(store.conn.iterdump())


def refused_import(store, clock, data, *needles):
    before = dump(store)
    with pytest.raises(DataImportError) as info:
        importer.apply(store, importer.parse(data, "school.json"), clock.now(), "school.json")
    message = str(info.value)
    assert message.startswith("Import refusé, rien n'a été modifié\xa0: school.json")
    for needle in needles:
        assert needle in message, message
    assert dump(store) == before
    return message


def test_demo_school_imports_whole(store, demo_data):
    counts = {t: store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("students", "badges", "wallets", "articles", "operators", "reservations")}
    assert counts == {"students": 60, "badges": 60, "wallets": 59, "articles": 13, "operators": 3,
                      "reservations": len(demo_data["reservations"])}


def test_not_json(tmp_path):
    bad = tmp_path / "school.json"
    bad.write_text('{"students": [ {"id": "S1",, } ]}')
    with pytest.raises(DataImportError) as info:
        importer.load_file(bad)
    assert "not valid JSON (line 1, column 28" in str(info.value)


@pytest.mark.parametrize("content, needle", [
    ("[1, 2]", "top level must be a JSON object"),
    ('{"pupils": []}', "pupils: Extra inputs are not permitted"),
    ('{"format": "other/9"}', "format: Input should be 'comptoir-data/1'"),
])
def test_wrong_shape(tmp_path, content, needle):
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(DataImportError) as info:
        importer.load_file(path)
    assert needle in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataImportError, match="file not found"):
        importer.load_file(tmp_path / "nope.json")


def test_missing_fields_named(store, clock):
    refused_import(store, clock, {"students": [{"id": "S9", "first_name": "A", "class_name": "1A"}]},
                   "students[0].last_name: Field required")


def test_unknown_article_code_in_reservation(store, clock):
    refused_import(store, clock, {"reservations": [
        {"id": "R1", "day": "2026-11-24", "student_id": "S00001", "article_code": "SANDW-KEBAB",
         "quantity": 1}]}, "reservations[0].article_code: unknown article code 'SANDW-KEBAB'")


def test_unknown_references(store, clock, demo_data):
    wallet = {**demo_data["wallets"][0], "id": "W-new", "student_id": "S-ghost"}
    refused_import(store, clock, {"wallets": [wallet],
                                  "badges": [{"uid": "04010203", "student_id": "S-ghost"}],
                                  "reservations": [{"id": "R9", "day": "2026-11-24", "quantity": 1,
                                                    "student_id": "S-ghost", "article_code": "SOUP"}],
                                  "articles": [{**demo_data["articles"][0], "category": "caviar"}]},
                   "unknown category 'caviar'", "unknown student 'S-ghost'", "(and 1 more)")


def test_whole_file_refused_when_one_record_is_bad(store, clock, demo_data):
    """A good file with one bad record deep inside changes nothing at all."""
    data = copy.deepcopy(demo_data)
    data["students"][0]["first_name"] = "Renamed"
    data["wallets"][40]["structured_communication"] = "+++025/0000/00000+++"   # bad mod-97
    refused_import(store, clock, data, "wallets[40].structured_communication",
                   "structured communication")


def test_bad_uid_and_duplicates(store, clock, demo_data):
    refused_import(store, clock, {"badges": [{"uid": "XYZ", "student_id": "S00001"}]},
                   "badges[0].uid", "not a badge UID")
    refused_import(store, clock, {"students": [demo_data["students"][0], demo_data["students"][0]]},
                   "students: id 'S00001' appears more than once")


def test_balance_claiming_entries_the_terminal_never_made(store, clock, demo_data):
    refused_import(store, clock, {"wallets": [{**demo_data["wallets"][0], "included_seq": 7}]},
                   "included_seq: 7 is beyond this terminal's journal (last entry 0)")


def test_reimport_keeps_local_delivery_and_lockout(service, marie, clock, demo_data):
    service.pickup(marie, Badge.LOUIS_RESERVED)
    for _attempt in range(5):
        with pytest.raises(AuthError):
            service.login("Luc", "0000")
    importer.apply(service.store, importer.parse(demo_data), clock.now())     # the same data again
    assert service.identify(Badge.LOUIS_RESERVED).reservations[0]["status"] == "delivered"
    with pytest.raises(AuthError) as info:
        service.login("Luc", "5678")
    assert info.value.code == "operator_locked"


def test_server_balance_update_replaces_balance_and_included_seq(service, marie, clock, demo_data):
    service.sell(marie, Badge.EMMA, {"SOUP": 1})         # seq 1
    clock.advance(5)
    service.sell(marie, Badge.EMMA, {"APPLE": 1})        # seq 2
    assert service.identify(Badge.EMMA).wallets[0].balance_cents == 2350
    wallet = next(w for w in demo_data["wallets"] if w["id"] == "W00001")
    # The platform applied seq 1 and a 5 € top-up: 25 - 1 + 5 = 29 €, including seq 1.
    importer.apply(service.store, importer.parse({"wallets": [
        {**wallet, "balance_cents": 2900, "included_seq": 1}]}), clock.now())
    shown = service.identify(Badge.EMMA).wallets[0]
    assert (shown.server_balance_cents, shown.included_seq, shown.balance_cents) == (2900, 1, 2850)


def test_import_file_shape_matches_readme_example(tmp_path, clock):
    """The example in the README is a valid import file."""
    import re
    from pathlib import Path

    from kiosk.store import open_store
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- import-example -->\s*```json\n(.*?)```", readme, re.S).group(1)
    with open_store(tmp_path / "fresh.db", create=True) as store:
        counts = importer.apply(store, importer.parse(json.loads(block)), clock.now())
    assert counts["students"] == 1 and counts["reservations"] == 1


def test_operator_name_taken_by_another_id(store, clock, demo_data):
    marie = next(o for o in demo_data["operators"] if o["name"] == "Marie")
    refused_import(store, clock, {"operators": [{**marie, "id": "op-other", "name": "MARIE"}]},
                   "operators[0].name: 'MARIE' is already the name of operator 'op-marie'")
    # Renaming within one file is fine: Marie becomes Maria, a new operator takes "Marie".
    importer.apply(store, importer.parse({"operators": [
        {**marie, "name": "Maria"}, {**marie, "id": "op-new", "name": "Marie"}]}), clock.now())
    assert store.conn.execute("SELECT id FROM operators WHERE name = 'Marie'").fetchone() == ("op-new",)
