"""The students' pages through a real browser (issue 16, point 3), on SQLite and PostgreSQL:
the roster uploaded (a bad line named on the page and nothing loaded, then the counts of what
changed), a search, a student's page (wallets, badges blocked, unblocked and added, flags,
the parents' limit and a blocked category, a photo uploaded and shown), bad input marked
under its field; the axe-core audit of each page; an accountant reads and changes nothing."""
from __future__ import annotations

import io
import re

from PIL import Image

from kiosk.demo.school import Badge, generate
from sync.models import DataSet

from ..central_db import central_rows
from ..conftest import LUNCH
from .browser import PHONE, audit, new_context, page_as, screenshot

ROSTER = ("student_id;last_name;first_name;class;wallet_id\n"
          "N00001;Lemaire;Jeanne;3B;NW00001\n"
          "N00002;;Pol;3B;NW00002\n"            # line 3: no last name
          "N00003;Fontaine;Hugo;4A;NW00003\n")


def test_roster_search_and_a_students_page_in_a_browser(browser, platform, school, backend):
    store = platform.store
    store.load(school.id, DataSet.model_validate(generate(students=12, day=LUNCH.date())))

    def rows(sql, params=()):
        return central_rows(store, sql, params)

    context = new_context(browser, platform)
    page = page_as(context, platform, school.members["supervisor"])

    # The roster: one bad line among 100,000 refuses the file, named on the page; then a good
    # file loaded, with counts.
    page.goto("/students/roster")
    audit(page, "students-roster-fr")
    # (100,000 lines on SQLite; the file is refused before the database is touched, so
    # PostgreSQL gets a shorter one and the suite's time is spared.)
    lines, bad = (100_000, 73_412) if backend == "sqlite" else (10_000, 7_341)
    big = ROSTER.splitlines()[0] + "\n" + "".join(
        f"N{n:06d};{'' if n == bad - 1 else 'Nom'};Pr{n};3B;NW{n:06d}\n" for n in range(1, lines))
    page.set_input_files("#f-file", files=[{"name": "eleves.csv", "mimeType": "text/csv",
                                             "buffer": big.encode("utf-8")}])
    page.click("form[action='/students/roster'] button[type=submit]")
    problems = page.locator("#roster-problems").inner_text()
    assert re.search(rf"\b{bad // 1000}\D?{bad % 1000:03d}\b", problems), problems
    assert "last_name" in problems, problems
    assert page.locator("#roster-problems li").count() == 1, problems      # that line alone
    assert rows("SELECT COUNT(*) FROM students WHERE school_id = ? AND id LIKE 'N%'",
                (school.id,)) == [(0,)]
    audit(page)
    page.fill("#f-text", ROSTER.replace(";;Pol", ";Wouters;Pol"))
    page.click("form[action='/students/roster'] button[type=submit]")
    done = page.locator("#roster-done").inner_text()
    assert "3" in done, done
    assert rows("SELECT COUNT(*) FROM students WHERE school_id = ? AND id LIKE 'N%'",
                (school.id,)) == [(3,)]

    # Search, then Emma's page.
    page.goto("/students?q=dubois+1a")
    audit(page, "students-search-fr")
    page.click("a[href='/students/S00001']")
    assert page.locator("h1").inner_text() == "Dubois Emma"
    assert "25,00" in page.locator(".balance").first.inner_text()
    assert "· par défaut\xa0: 25,00" in page.locator("#wallet-1").inner_text()   # French spacing
    # The roster names a photo the platform does not hold: the placeholder, no broken image.
    assert page.locator("img.student-photo").count() == 0
    assert page.locator(".no-photo").inner_text() == "Pas de photo"
    audit(page, "student-page-fr")

    # A lost badge blocked, then unblocked; a new badge (a bad UID first).
    page.click(f"button[aria-label$='{Badge.EMMA}']")
    assert rows("SELECT status, status_by FROM badges WHERE school_id = ? AND uid = ?",
                (school.id, Badge.EMMA)) == [("blocked", "office")]
    assert page.locator("td.badge-blocked").count() == 1
    page.click(f"button[aria-label$='{Badge.EMMA}']")
    assert rows("SELECT status FROM badges WHERE school_id = ? AND uid = ?",
                (school.id, Badge.EMMA)) == [("active",)]
    page.fill("#f-uid", "not a badge")
    page.click("form[aria-label] input[value='add'] ~ button")
    assert page.locator("#badge-error").is_visible()
    page.fill("#f-uid", "04 aa bb cc dd")
    page.click("form[aria-label] input[value='add'] ~ button")
    assert page.locator("code", has_text="04AABBCCDD").count() == 1

    # Flags, the parents' limit, a blocked category: a bad amount first, nothing saved.
    page.fill("#f-flags", "Gluten, porc")
    page.fill("#f-daily_limit", "trois euros")
    page.check("input[name=blocked][value=drink]")
    page.click("form[action$='/settings'] button[type=submit]")
    assert page.locator("#f-daily_limit-error").is_visible()
    assert page.get_attribute("#f-daily_limit", "aria-invalid") == "true"
    assert rows("SELECT flags FROM students WHERE school_id = ? AND id = 'S00001'",
                (school.id,)) == [("[]",)]
    audit(page)
    page.fill("#f-daily_limit", "3,50")
    page.click("form[action$='/settings'] button[type=submit]")
    assert page.locator("#flags-now").inner_text() == "gluten, porc"
    assert "3,50" in page.locator("#limit-now").inner_text()
    assert page.locator("#blocked-now").inner_text() == "Boissons"

    # A photo: a file that is no image is refused under its field; a PNG is shown.
    page.set_input_files("#f-file", files=[{"name": "photo.png", "mimeType": "image/png",
                                             "buffer": b"%PDF-1.4 not an image"}])
    page.click("form[action$='/photo'] button[type=submit]")
    assert page.locator("#f-file-error").is_visible()
    png = io.BytesIO()
    Image.new("RGB", (800, 1000), (30, 90, 160)).save(png, "PNG")
    page.set_input_files("#f-file", files=[{"name": "emma.png", "mimeType": "image/png",
                                             "buffer": png.getvalue()}])
    page.click("form[action$='/photo'] button[type=submit]")
    photo = page.locator("img.student-photo")
    # the page is there when the click returns; its image may still be on its way
    page.wait_for_function("() => { const i = document.querySelector('img.student-photo');"
                           " return i !== null && i.complete && i.naturalWidth > 0; }")
    assert photo.evaluate("img => img.naturalWidth") == 384
    audit(page, "student-page-photo-fr")
    page.set_viewport_size(PHONE)
    screenshot(page, "student-page-phone-fr")
    context.close()

    # An accountant reads the page, without a form to change it; a photo sent is refused.
    reader = new_context(browser, platform)
    page = page_as(reader, platform, school.members["accountant"])
    page.goto("/students/S00001")
    assert page.locator("h1").inner_text() == "Dubois Emma"
    assert page.locator("main form").count() == 0
    reader.close()
    http = platform.session(school.members["accountant"])
    answer = http.post(f"{platform.url}/students/S00001/photo", data={"csrf_token": http.csrf},
                       files={"file": ("x.png", png.getvalue(), "image/png")})
    assert answer.status_code == 403
