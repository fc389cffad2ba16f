"""The students' pages (issue 16, point 3): search, the roster upload, a student's page
(wallets, balances, history, badges, flags, limits, blocked categories, photo). Transport
only: the work is ``sync.server.students``, ``student_photos`` and ``roster``, as for the JSON
API (``sync.server.students_api``, which also serves the photo the page shows)."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync.common.money import parse_euros
from sync.server import bank_statement, roster, student_photos, students
from sync.server.api.deps import Store, office
from sync.server.errors import CentralError
from sync.server.permissions import Staff
from sync.server.web import templating

router = APIRouter()
Reader = Annotated[Staff, office("students.read")]
Writer = Annotated[Staff, office("students.write")]
Text = Annotated[str, Form()]
PAGE = 50


def N_(text: str) -> str:
    """Marks a text for extraction; the template translates it."""
    return text


# A movement's kind as the office reads it (``ledger.wallet_history``).
KINDS = {"topup": N_("top-up"), "transfer": N_("bank transfer"), "reservation": N_("reservation"),
         "refund": N_("refund"), "sale": N_("sale"), "void": N_("cancelled sale"),
         "photocopy": N_("photocopies")}


def _page_of(student_id: str) -> str:
    return f"/students/{quote(student_id, safe='')}"


@router.get("/students")
def search_page(request: Request, store: Store, staff: Reader, q: str = "",
                offset: int = 0) -> Response:
    error, found = "", {"students": [], "more": False}
    try:
        found = students.search(store, staff.school_id, q[:500], PAGE, max(0, offset))
    except CentralError as e:
        error = e.say(templating.language(request))
    return templating.render(request, "students/search.html", {
        "q": q[:500], "offset": max(0, offset), "page": PAGE, "error": error, **found},
        422 if error else 200)


@router.get("/students/roster")
def roster_page(request: Request, staff: Writer) -> Response:
    return templating.render(request, "students/roster.html", {"problems": [], "done": None})


@router.post("/students/roster")
async def roster_upload(request: Request, store: Store, staff: Writer,
                        file: Annotated[UploadFile | None, File()] = None,
                        text: Text = "") -> Response:
    """The roster as a file, or its lines pasted: all or nothing, every bad line listed."""
    _ = templating.gettext_of(request)
    data = await file.read() if file is not None else b""
    content = bank_statement.read_text(data) if data else text
    try:
        if not content.strip():
            raise CentralError("invalid", "choose the roster file (CSV or JSON)")
        done = await run_in_threadpool(roster.import_roster, store, staff.school_id, content)
    except CentralError as e:
        lines = e.say(templating.language(request)).split("\n")
        return templating.render(request, "students/roster.html", {
            "problems": [line.strip() for line in lines if line.strip()], "done": None}, 422)
    return templating.render(request, "students/roster.html", {"problems": [], "done": done})


def _student_page(request: Request, store: Store, staff: Staff, student_id: str,
                  status: int = 200, errors: dict | None = None,
                  values: dict | None = None) -> Response:
    found = students.detail(store, staff.school_id, student_id)
    return templating.render(request, "students/student.html", {
        **found, "page_path": _page_of(student_id), "errors": errors or {},
        "values": values or {}, "may_write": staff.may("students.write"), "KINDS": KINDS}, status)


@router.get("/students/{student_id}")
def student_page(request: Request, store: Store, staff: Reader, student_id: str) -> Response:
    return _student_page(request, store, staff, student_id)


@router.post("/students/{student_id}/settings")
async def settings(request: Request, store: Store, staff: Writer, student_id: str,
                   flags: Text = "", daily_limit: Text = "") -> Response:
    """Flags (separated by commas), the daily limit in euros (empty: none), and the blocked
    categories (checkboxes ``blocked``)."""
    _ = templating.gettext_of(request)
    form = await request.form()
    blocked = [str(v) for v in form.getlist("blocked")]
    values = {"flags": flags[:2000], "daily_limit": daily_limit[:40], "blocked": blocked}
    lang = templating.language(request)
    errors: dict[str, str] = {}
    limit: int | None = None
    if daily_limit.strip():
        try:
            limit = parse_euros(daily_limit)
            if limit < 0:
                raise ValueError(daily_limit)
        except ValueError:
            errors["daily_limit"] = _("An amount in euros, such as 3,50 (empty: no limit).")
    if not errors:
        try:
            students.update(store, staff.school_id, student_id,
                            flags=[f for f in flags[:2000].split(",") if f.strip()],
                            daily_limit_cents=limit, blocked_categories=blocked)
        except CentralError as e:
            if e.code == "not_found":
                raise
            errors["category" if "category" in e.message else "flags"] = e.say(lang)
    if errors:
        return _student_page(request, store, staff, student_id, 422, errors, values)
    return templating.redirect(request, _page_of(student_id), _("Saved."))


@router.post("/students/{student_id}/badges")
def badge(request: Request, store: Store, staff: Writer, student_id: str,
          action: Text = "", uid: Text = "") -> Response:
    """``action``: ``add`` (a new badge), ``block`` or ``unblock`` (one of the student's)."""
    _ = templating.gettext_of(request)
    try:
        if action == "add":
            students.add_badge(store, staff.school_id, student_id, uid[:100])
            message = _("The badge is added: it works at the terminals after their next sync.")
        elif action in ("block", "unblock"):
            students.set_badge_status(store, staff.school_id, student_id, uid[:100],
                                      block=action == "block")
            message = (_("The badge is blocked: the terminals refuse it after their next sync.")
                       if action == "block" else _("The badge is unblocked."))
        else:
            raise CentralError("invalid", "unknown action {action!r}", action=action[:20])
    except CentralError as e:
        if e.code == "not_found" and action == "add":
            raise
        return _student_page(request, store, staff, student_id, 422,
                             {"uid": e.say(templating.language(request))}, {"uid": uid[:100]})
    return templating.redirect(request, _page_of(student_id), message)


@router.post("/students/{student_id}/photo")
async def photo(request: Request, store: Store, staff: Writer, student_id: str,
                file: Annotated[UploadFile | None, File()] = None,
                action: Text = "upload") -> Response:
    _ = templating.gettext_of(request)
    try:
        if action == "remove":
            student_photos.remove_photo(store, staff.school_id, student_id)
            message = _("The photo is removed.")
        else:
            data = await file.read(student_photos.MAX_UPLOAD_BYTES + 1) if file else b""
            await run_in_threadpool(student_photos.set_photo, store, staff.school_id,
                                    student_id, data)
            message = _("The photo is saved: the terminals show it after their next sync.")
    except CentralError as e:
        if e.code == "not_found":
            raise
        return _student_page(request, store, staff, student_id, 422,
                             {"photo": e.say(templating.language(request))})
    return templating.redirect(request, _page_of(student_id), message)
