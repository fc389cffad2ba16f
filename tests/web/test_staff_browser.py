"""Staff accounts through a real browser (issue 16, point 1): signing in and the lockout, an
invitation followed to the end, a role change taking effect, signing out everywhere, and the
accessibility audit of these pages (axe-core), on SQLite and PostgreSQL."""
from __future__ import annotations

import re

from .browser import PHONE, audit, new_context, page_as, sign_in


def test_sign_in_wrong_password_then_lockout(browser, platform, school):
    member = platform.member(school, "supervisor")
    context = new_context(browser, platform)
    page = context.new_page()
    page.goto("/staff")                                  # not signed in: to the login page
    assert re.search(r"/login\?next=/staff$", page.url)
    audit(page, "login-fr")
    page.fill("#f-email", member.email)
    for _attempt in range(5):
        page.fill("#f-password", "not the password")
        page.click("form[action='/login'] button[type=submit]")
        assert page.locator("#login-error").is_visible()
    generic = page.locator("#login-error").inner_text()
    page.fill("#f-password", member.password)            # right, but the account is locked
    page.click("form[action='/login'] button[type=submit]")
    assert page.locator("#login-error").inner_text() == generic
    page.fill("#f-email", "nobody@nowhere.be")           # an unknown email: the same words
    page.fill("#f-password", member.password)
    page.click("form[action='/login'] button[type=submit]")
    assert page.locator("#login-error").inner_text() == generic
    platform.clock.advance(minutes=16)                   # the lock is over
    sign_in(page, member)
    assert page.url.endswith("/") and page.locator("h1").inner_text().endswith(member.name)
    audit(page, "home-supervisor-fr")
    context.close()


def test_invite_set_password_sign_in_and_role_change(browser, platform, school):
    admin_context = new_context(browser, platform)
    admin = page_as(admin_context, platform, school.members["admin"])
    admin.goto("/staff")
    audit(admin, "staff-list-fr")
    admin.fill("#f-name", "Nadia Peeters")
    admin.fill("#f-email", "nadia.invited@example.be")
    admin.select_option("#f-role", "accountant")
    admin.click("form[action='/staff'] button[type=submit]")
    link = admin.locator("#one-time-link").inner_text()
    assert "/welcome?token=" in link

    invited_context = new_context(browser, platform, lang="nl")
    invited = invited_context.new_page()
    invited.goto(link)
    audit(invited, "welcome-nl")
    invited.fill("#f-password", "short")
    invited.fill("#f-again", "short")
    invited.click("form[action='/welcome'] button[type=submit]")
    assert invited.locator("#f-password-error").is_visible()       # under its field
    assert invited.get_attribute("#f-password", "aria-describedby").endswith("f-password-error")
    invited.fill("#f-password", "a long enough password")
    invited.fill("#f-again", "a long enough password")
    invited.click("form[action='/welcome'] button[type=submit]")
    assert invited.url.endswith("/login")
    invited.fill("#f-email", "nadia.invited@example.be")
    invited.fill("#f-password", "a long enough password")
    invited.click("form[action='/login'] button[type=submit]")
    assert invited.locator("nav.menu a[href='/staff']").count() == 0    # an accountant
    assert invited.goto("/staff").status == 403
    audit(invited, "forbidden-nl")

    admin.click("table a:has-text('Nadia Peeters')")
    audit(admin, "staff-member-fr")
    admin.select_option("#f-role", "admin")
    admin.click("form:has(input[value='role']) button[type=submit]")
    assert admin.locator(".flash-success").is_visible()
    invited.goto("/")                                   # the new role at the next page
    assert invited.locator("nav.menu a[href='/staff']").count() == 1
    assert invited.goto("/staff").status == 200
    admin_context.close()
    invited_context.close()


def test_logout_everywhere_ends_the_other_sessions(browser, platform, school):
    member = platform.member(school, "accountant")
    phone = new_context(browser, platform, viewport=PHONE)
    desk = new_context(browser, platform)
    on_phone, on_desk = page_as(phone, platform, member), page_as(desk, platform, member)
    on_phone.goto("/account")
    audit(on_phone, "account-phone-fr")
    on_desk.goto("/account")
    on_desk.click("form[action='/account/logout-everywhere'] button[type=submit]")
    assert "/login" in on_desk.url
    on_phone.goto("/account")
    assert "/login?next=/account" in on_phone.url
    phone.close()
    desk.close()
