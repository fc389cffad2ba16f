"""PINs, roles and lockout."""
from __future__ import annotations

import logging

import pytest

from kiosk import operators
from sync.common.errors import AuthError


def pin_hash_of(store, name):
    return store.conn.execute("SELECT pin_hash FROM operators WHERE name = ?", (name,)).fetchone()[0]


def test_pin_is_stored_as_argon2id_never_in_clear(store):
    operators.add_operator(store, "Nadia", "seller", "24680", by=_admin(store))
    stored = pin_hash_of(store, "Nadia")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert "24680" not in stored


def _admin(store):
    from kiosk.demo.school import DEMO_PINS
    from sync.common.clock import SystemClock
    return operators.login(store, "Admin", DEMO_PINS["Admin"], SystemClock().now())


def test_login_and_roles(service, marie, luc, admin):
    assert (marie.role, luc.role, admin.role) == ("seller", "supervisor", "admin")
    for action in ("void", "close_day", "unlock_operator", "block_badge", "manage_operators"):
        with pytest.raises(AuthError):
            marie.require(action)
    luc.require("void")
    with pytest.raises(AuthError):
        luc.require("manage_operators")
    admin.require("manage_operators")


def test_unknown_operator_and_wrong_pin(service):
    with pytest.raises(AuthError) as info:
        service.login("Personne", "1234")
    assert info.value.code == "unknown_operator"
    with pytest.raises(AuthError) as info:
        service.login("Marie", "0000")
    assert info.value.code == "wrong_pin" and info.value.params == {"attempts_left": 4}


def test_five_wrong_pins_lock_for_60s_then_doubling(service, clock, luc):
    for _attempt in range(4):
        with pytest.raises(AuthError) as info:
            service.login("Marie", "0000")
        assert info.value.code == "wrong_pin"
    with pytest.raises(AuthError) as info:
        service.login("Marie", "0000")
    assert info.value.code == "operator_locked" and info.value.params["seconds"] == 60
    with pytest.raises(AuthError) as info:            # the right PIN does not help while locked
        service.login("Marie", "1234")
    assert info.value.code == "operator_locked"
    clock.advance(61)
    for _attempt in range(5):                           # lock again: twice as long
        with pytest.raises(AuthError):
            service.login("Marie", "0000")
    with pytest.raises(AuthError) as info:
        service.login("Marie", "1234")
    assert info.value.code == "operator_locked" and info.value.params["seconds"] == 120
    clock.advance(121)
    assert service.login("Marie", "1234").name == "Marie"


def test_supervisor_unlocks(service, luc):
    for _attempt in range(5):
        with pytest.raises(AuthError):
            service.login("Marie", "9999")
    with pytest.raises(AuthError):
        service.unlock_operator(_seller(service), "Marie")
    service.unlock_operator(luc, "Marie")
    assert service.login("Marie", "1234").role == "seller"


def _seller(service):
    from kiosk.operators import Session
    return Session("op-x", "Quelqu'un", "seller")


def test_lock_holds_across_processes(service, store_path, clock):
    for _attempt in range(5):
        with pytest.raises(AuthError):
            service.login("Marie", "0000")
    from kiosk.store import open_store
    other = open_store(store_path)            # another process's view of the same file
    with pytest.raises(AuthError) as info:
        operators.login(other, "Marie", "1234", clock.now())
    assert info.value.code == "operator_locked"
    other.close()


def test_pin_never_logged(service, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError):
        service.login("Marie", "8642")
    service.login("Marie", "1234")
    assert "8642" not in caplog.text and "1234" not in caplog.text


def test_first_operator_must_be_admin_then_only_admins_add(tmp_path, clock):
    from kiosk.store import open_store
    with open_store(tmp_path / "new.db", create=True) as store:
        with pytest.raises(AuthError) as info:
            operators.add_operator(store, "Marie", "seller", "1234")
        assert info.value.code == "first_operator_admin"
        operators.add_operator(store, "Root", "admin", "4321")
        with pytest.raises(AuthError):
            operators.add_operator(store, "Marie", "seller", "1234")        # no session
        root = operators.login(store, "Root", "4321", clock.now())
        operators.add_operator(store, "Marie", "seller", "1234", by=root)
        marie = operators.login(store, "marie", "1234", clock.now())       # names ignore case
        with pytest.raises(AuthError):
            operators.add_operator(store, "Paul", "seller", "1234", by=marie)
        with pytest.raises(AuthError) as info:
            operators.add_operator(store, "MARIE", "seller", "1111", by=root)
        assert info.value.code == "operator_exists"


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "", " 1234"])
def test_bad_pins_refused(store, pin):
    with pytest.raises(AuthError) as info:
        operators.hash_pin(pin)
    assert info.value.code == "bad_pin"
