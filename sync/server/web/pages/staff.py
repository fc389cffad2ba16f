"""The staff accounts' pages (admins): the list and the invitation form, a member's page
(role, disable or enable, a new one-time link)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sync.server import staff as accounts, staff_links
from sync.server.api.deps import Store, office
from sync.server.api.routes.staff import link_url
from sync.server.errors import CentralError
from sync.server.permissions import ROLES, Staff
from sync.server.web import templating

router = APIRouter()
Admin = Annotated[Staff, office("staff.manage")]
Text = Annotated[str, Form()]


def _list(request: Request, store: Store, staff: Staff, status: int = 200,
          **context: object) -> Response:
    return templating.render(request, "staff/list.html", {
        "members": accounts.list_staff(store, staff.school_id), "roles": ROLES,
        "errors": {}, "values": {}, **context}, status)


@router.get("/staff")
def staff_list(request: Request, store: Store, staff: Admin) -> Response:
    return _list(request, store, staff)


@router.post("/staff")
def invite(request: Request, store: Store, staff: Admin, email: Text = "", name: Text = "",
           role: Text = "") -> Response:
    lang = templating.language(request)
    values = {"email": email[:254], "name": name[:100], "role": role[:20]}
    errors = {}
    for field, check in (("email", accounts.clean_email), ("name", accounts.clean_name),
                         ("role", accounts.check_role)):
        try:
            check(values[field] if field != "email" else email)
        except CentralError as e:
            errors[field] = e.say(lang)
    if not errors:
        try:
            account, token = staff_links.invite(store, staff.school_id, email, name, role)
        except CentralError as e:
            errors["email"] = e.say(lang)
    if errors:
        return _list(request, store, staff, 422, errors=errors, values=values)
    return _list(request, store, staff, invited=account, link=link_url(request, token))


@router.get("/staff/{staff_id}")
def member_page(request: Request, store: Store, staff: Admin, staff_id: str) -> Response:
    member = accounts.get_staff(store, staff.school_id, staff_id)
    return templating.render(request, "staff/member.html", {"member": member, "roles": ROLES})


@router.post("/staff/{staff_id}")
def change_member(request: Request, store: Store, staff: Admin, staff_id: str,
                  action: Text = "", role: Text = "") -> Response:
    """One form per change: ``action`` is ``role`` (with ``role``), ``disable``, ``enable``
    or ``link`` (a new one-time link, shown once)."""
    _ = templating.gettext_of(request)
    member = accounts.get_staff(store, staff.school_id, staff_id)
    try:
        if action == "role":
            accounts.update_staff(store, staff.school_id, staff_id, role=role)
            message = _("The role is changed.")
        elif action in ("disable", "enable"):
            accounts.update_staff(store, staff.school_id, staff_id,
                                  disabled=action == "disable")
            message = _("The account is disabled.") if action == "disable" else _(
                "The account is enabled.")
        elif action == "link":
            token = staff_links.new_link(store, staff.school_id, staff_id)
            return templating.render(request, "staff/member.html", {
                "member": member, "roles": ROLES, "link": link_url(request, token)})
        else:
            raise CentralError("invalid", "unknown action {action!r}", action=action[:20])
    except CentralError as e:
        if e.code == "not_found":
            raise
        return templating.render(request, "staff/member.html", {
            "member": member, "roles": ROLES, "error": e.say(templating.language(request))}, 422)
    return templating.redirect(request, f"/staff/{staff_id}", message)
