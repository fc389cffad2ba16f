"""The pages of the terminals' operators: the list and a form to add one, an operator's page
(name and role, deactivate or reactivate, reset the PIN). A PIN set here is shown once, on
the page the form answers, never again (only its hash is kept and synced); the terminals get
every change with their next pull, and a reset PIN also lifts a lockout at the terminals."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from sync.server import operators
from sync.server.api.deps import Store, office
from sync.server.errors import CentralError
from sync.server.permissions import Staff
from sync.server.web import templating
from sync.server.web.nav import N_

router = APIRouter()
Reader = Annotated[Staff, office("operators.read")]
Writer = Annotated[Staff, office("operators.write")]
Text = Annotated[str, Form()]

OPERATOR_ROLES = {"seller": N_("seller"), "supervisor": N_("supervisor (voids, closes the day)"),
                  "admin": N_("terminal admin")}
FIELD_ERRORS = {"name": N_("A name of 1 to 60 characters."), "role": N_("Choose a role."),
                "pin": N_("4 to 8 digits, or empty to draw one.")}


def _errors(request: Request, e: ValidationError) -> dict[str, str]:
    _ = templating.gettext_of(request)
    fields = {str(p["loc"][0]) for p in e.errors()}
    return {f: _(FIELD_ERRORS.get(f, N_("This value is not valid."))) for f in fields}


def _role_options(request: Request) -> list[tuple[str, str]]:
    _ = templating.gettext_of(request)
    return [(role, _(label)) for role, label in OPERATOR_ROLES.items()]


def _list(request: Request, store: Store, staff: Staff, status: int = 200,
          **context: object) -> Response:
    return templating.render(request, "operators/list.html", {
        "operators": operators.operators(store, staff.school_id), "errors": {}, "values": {},
        "locks": operators.lockouts(store, staff.school_id),
        "OPERATOR_ROLES": OPERATOR_ROLES, "operator_role_options": _role_options(request),
        "may_write": staff.may("operators.write"), **context}, status)


def _page(request: Request, store: Store, staff: Staff, operator_id: str, status: int = 200,
          **context: object) -> Response:
    return templating.render(request, "operators/operator.html", {
        "operator": operators.operator(store, staff.school_id, operator_id), "errors": {},
        "OPERATOR_ROLES": OPERATOR_ROLES, "operator_role_options": _role_options(request),
        "may_write": staff.may("operators.write"), **context}, status)


@router.get("/operators")
def operator_list(request: Request, store: Store, staff: Reader) -> Response:
    return _list(request, store, staff)


@router.post("/operators")
def operator_add(request: Request, store: Store, staff: Writer, name: Text = "",
                 role: Text = "", pin: Text = "") -> Response:
    values = {"name": name[:200], "role": role[:20]}
    try:
        made, new_pin = operators.create_operator(store, staff.school_id, operators.NewOperator(
            name=name[:200], role=role[:20], pin=pin[:20] or None))    # type: ignore[arg-type]
    except ValidationError as e:
        return _list(request, store, staff, 422, errors=_errors(request, e), values=values)
    except CentralError as e:
        return _list(request, store, staff, 422, values=values,
                     errors={"name": e.say(templating.language(request))})
    return _list(request, store, staff, added=made, pin=new_pin)


@router.get("/operators/{operator_id}")
def operator_page(request: Request, store: Store, staff: Reader, operator_id: str) -> Response:
    return _page(request, store, staff, operator_id)


@router.post("/operators/{operator_id}")
def operator_change(request: Request, store: Store, staff: Writer, operator_id: str,
                    action: Text = "", name: Text = "", role: Text = "",
                    pin: Text = "") -> Response:
    """One form per change: ``action`` is ``save`` (name and role), ``deactivate``,
    ``activate`` or ``pin`` (a new PIN, the one typed or drawn, shown once on the answer)."""
    _ = templating.gettext_of(request)
    old = operators.operator(store, staff.school_id, operator_id)
    try:
        if action == "save":
            operators.update_operator(store, staff.school_id, operator_id, operators.OperatorFields(
                name=name[:200], role=role[:20], active=old["active"]))  # type: ignore[arg-type]
            message = _("The operator is saved.")
        elif action in ("deactivate", "activate"):
            operators.set_operator_active(store, staff.school_id, operator_id,
                                          action == "activate")
            message = _("The operator may log in again.") if action == "activate" else _(
                "The operator may no longer log in.")
        elif action == "pin":
            _done, new_pin = operators.reset_pin(store, staff.school_id, operator_id,
                                                 operators.PinReset(pin=pin[:20] or None))
            return _page(request, store, staff, operator_id, pin=new_pin)
        else:
            raise CentralError("invalid", "unknown action {action!r}", action=action[:20])
    except ValidationError as e:
        return _page(request, store, staff, operator_id, 422, errors=_errors(request, e),
                     values={"name": name[:200], "role": role[:20]})
    except CentralError as e:
        if e.code == "not_found":
            raise
        return _page(request, store, staff, operator_id, 422,
                     errors={"name": e.say(templating.language(request))},
                     values={"name": name[:200], "role": role[:20]})
    return templating.redirect(request, f"/operators/{operator_id}", message)


@router.post("/operators/{operator_id}/unlock")
def operator_unlock(request: Request, store: Store, staff: Writer, operator_id: str) -> Response:
    """Lift a lockout: the terminals clear it with their next pull."""
    _ = templating.gettext_of(request)
    done = operators.unlock(store, staff.school_id, operator_id)
    return templating.redirect(request, "/operators", _(
        "{name} is unlocked: the terminals let them log in after their next synchronisation.",
        name=done["name"]))
