"""The office's page of the parents' accounts (issue 17): who has an account (from the
roster's ``parent_emails``), whether their password is set, the last e-mail's failure, and
"send login tokens" to those without a password (``parents.send_tokens``)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sync.server import parents
from sync.server.api.deps import Store, office
from sync.server.api.routes.parents import site
from sync.server.permissions import Staff
from sync.server.web import templating

router = APIRouter()
PATH = "/parent-accounts"


@router.get(PATH)
def accounts_page(request: Request, store: Store,
                  staff: Annotated[Staff, office("students.read")]) -> Response:
    return templating.render(request, "parent_accounts/list.html", {
        "accounts": parents.list_parents(store, staff.school_id),
        "may_write": staff.may("students.write")})


@router.post(PATH + "/tokens")
def send_tokens(request: Request, store: Store,
                staff: Annotated[Staff, office("students.write")]) -> Response:
    _ = templating.gettext_of(request)
    done = parents.send_tokens(store, staff.school_id, None, site(request),
                               templating.language(request))
    response = templating.redirect(request, PATH, _("{count} e-mail(s) sent.",
                                                     count=done["sent"]))
    if done["failed"]:
        response = templating.redirect(request, PATH, _(
            "{count} e-mail(s) sent, {failed} not sent: {error} Send again later.",
            count=done["sent"], failed=len(done["failed"]), error=done["failed"][0]["error"]),
            "error")
    return response
