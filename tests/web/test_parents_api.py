"""The parents' accounts, dashboard and top-up below the browser (issue 17, points 1 to 3):
the roster's parent_emails column, the office's "send login tokens" through a real SMTP
server on loopback (``mailbox.py``), the one-time 14-day token, "mot de passe oublié", the
sign-in's throttling, isolation (another family's child, another school's, staff and parents
each kept out of the other's pages) and the EPC QR code's payload, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
import requests

from sync.server import mail, parents, roster, students
from sync.server.api.routes import parents as parents_api
from sync.server.database import sha256

from .mailbox import Mailbox
from .platform import Platform, School

PASSWORD = "tartines du mercredi"
ROSTER = ("student_id,last_name,first_name,class,wallet_id,wallet_name,communication,"
          "parent_emails\n"
          "P-{n}-1,Dupont,Léa,3A,PW-{n}-1,Repas,,marie{n}@famille.be|paul{n}@famille.be\n"
          "P-{n}-2,Dupont,Hugo,1B,PW-{n}-2,Repas,,marie{n}@famille.be\n"
          "P-{n}-3,Martin,Zoé,2C,PW-{n}-3,Repas,,autre{n}@famille.be\n")


@pytest.fixture(scope="module")
def mailbox():
    box = Mailbox()
    yield box
    box.close()


def family(platform: Platform, school: School, n: int) -> None:
    roster.import_roster(platform.store, school.id, ROSTER.format(n=n))


def parent_session(platform: Platform, username: str, password: str = PASSWORD) -> requests.Session:
    http = requests.Session()
    http.headers["Origin"] = platform.url
    answer = http.post(f"{platform.url}/parents/login", allow_redirects=False,
                       data={"username": username, "password": password})
    assert answer.status_code == 303, answer.text
    return http


def activate(platform: Platform, mailbox: Mailbox, office: requests.Session, email: str) -> str:
    """The office sends the tokens; the parent sets the password with theirs: the username."""
    sent = office.post(platform.url + parents_api.TOKENS, json={},
                       headers={"X-CSRF-Token": office.csrf})  # type: ignore[attr-defined]
    assert sent.status_code == 200, sent.text
    username, token = mailbox.token_for(email)
    parents.use_token(platform.store, username, token, PASSWORD)
    return username


def test_roster_parent_emails_refused_with_line_numbers_then_accounts_made(platform, school):
    bad = ROSTER.format(n=0).replace("autre0@famille.be", "pas-une-adresse")
    with pytest.raises(Exception) as refused:
        roster.import_roster(platform.store, school.id, bad)
    assert "line 4: parent e-mail #1 is not an e-mail address" in str(refused.value)
    assert parents.list_parents(platform.store, school.id) == []        # nothing half-applied
    as_json = json.dumps({"format": roster.FORMAT, "students": [
        {"id": "P-0-1", "first_name": "Léa", "last_name": "Dupont", "class_name": "3A",
         "parent_emails": ["marie0@famille.be"]},
        {"id": "P-0-2", "first_name": "Hugo", "last_name": "Dupont", "class_name": "1B",
         "parent_emails": "marie0@famille.be"}]})
    with pytest.raises(Exception) as refused:
        roster.import_roster(platform.store, school.id, as_json)
    assert "students[1].parent_emails: a list of e-mail addresses" in str(refused.value)
    assert parents.list_parents(platform.store, school.id) == []
    family(platform, school, 0)
    accounts = {p.email: p for p in parents.list_parents(platform.store, school.id)}
    assert sorted(accounts) == ["autre0@famille.be", "marie0@famille.be", "paul0@famille.be"]
    marie = accounts["marie0@famille.be"].parent
    assert [c["first_name"] for c in parents.children(platform.store, marie)] == ["Hugo", "Léa"]
    assert not accounts["marie0@famille.be"].has_password


def test_tokens_mailed_once_valid_14_days_then_sign_in(platform, school, mailbox):
    family(platform, school, 1)
    office = platform.session(school.members["supervisor"])
    before = len(mailbox.messages)
    answer = office.post(platform.url + parents_api.TOKENS, json={},
                         headers={"X-CSRF-Token": office.csrf})
    assert answer.status_code == 200 and answer.json()["failed"] == []
    assert len(mailbox.messages) - before == answer.json()["sent"] >= 3
    message = mailbox.to("marie1@famille.be")[-1]
    assert message["From"] == "ecole@test.be" and "14" in message.get_content()
    username, token = mailbox.token_for("marie1@famille.be")
    with platform.store.transaction(write=False) as conn:
        kept = platform.store.execute(conn, "SELECT token_hash FROM parent_tokens").fetchall()
    assert sha256(token) in {row[0] for row in kept} and token not in str(kept)   # hashed
    with pytest.raises(Exception, match="no longer valid"):
        parents.use_token(platform.store, "someone.else", token, PASSWORD)   # not their token
    platform.clock.advance(seconds=timedelta(days=14).total_seconds() + 1)
    with pytest.raises(Exception, match="no longer valid"):
        parents.use_token(platform.store, username, token, PASSWORD)        # expired
    platform.clock.advance(seconds=-timedelta(days=14).total_seconds() - 1)
    parents.use_token(platform.store, username, token, PASSWORD)
    with pytest.raises(Exception, match="no longer valid"):
        parents.use_token(platform.store, username, token, "another password 2")   # used
    http = parent_session(platform, username)
    children = http.get(platform.url + parents_api.CHILDREN).json()["children"]
    assert [c["id"] for c in children] == ["P-1-2", "P-1-1"]


def test_forgot_answers_the_same_and_mails_only_a_known_address(platform, school, mailbox):
    family(platform, school, 2)
    http = requests.Session()
    http.headers["Origin"] = platform.url
    answers = []
    for login in ("marie2@famille.be", "nobody@nowhere.be"):
        before = len(mailbox.messages)
        answer = http.post(f"{platform.url}/parents/forgot", data={"login": login})
        answers.append((answer.status_code, answer.text.replace(login, "")))
        answers[-1] += (len(mailbox.messages) - before,)
    assert answers[0][:2] == answers[1][:2] and answers[0][0] == 200
    assert (answers[0][2], answers[1][2]) == (1, 0)
    assert http.post(f"{platform.url}/parents/forgot", data={"login": " "}).status_code == 422


def test_mail_failure_is_told_to_the_office_and_sent_again(platform, school, mailbox):
    family(platform, school, 3)
    office = platform.session(school.members["admin"])
    mailbox.unplug()
    try:
        failed = office.post(platform.url + parents_api.TOKENS + "?lang=fr", json={},
                             headers={"X-CSRF-Token": office.csrf}).json()
        page = office.post(platform.url + "/parent-accounts/tokens",    # the office's page
                           data={"csrf_token": office.csrf})
    finally:
        mailbox.plug()
    assert page.status_code == 200 and "non envoyé" in page.text and "réessayez" in page.text
    assert failed["sent"] == 0 and len(failed["failed"]) >= 3
    assert "serveur" in failed["failed"][0]["error"]            # in the office's language
    listed = office.get(platform.url + parents_api.PARENTS).json()["parents"]
    assert all(p["mail_error"] for p in listed if p["email"].endswith("3@famille.be"))
    again = office.post(platform.url + parents_api.TOKENS, json={"parent_ids": [
        failed["failed"][0]["parent_id"]]}, headers={"X-CSRF-Token": office.csrf}).json()
    assert again == {"sent": 1, "failed": []}


def test_a_parent_sees_only_their_children_and_no_office_page(platform, school, mailbox):
    family(platform, school, 4)
    other_school = platform.school()
    family(platform, other_school, 5)
    office = platform.session(school.members["admin"])
    username = activate(platform, mailbox, office, "paul4@famille.be")   # Léa only
    http = parent_session(platform, username)
    url = platform.url
    assert http.get(url + "/api/v1/parents/children/P-4-1").status_code == 200
    for student in ("P-4-2", "P-4-3", "P-5-1", "nobody"):   # a sibling not theirs, others
        answer = http.get(url + f"/api/v1/parents/children/{student}")
        assert (answer.status_code, answer.json()["error"]) == (404, "not_found")
        assert http.get(url + f"/parents/children/{student}").status_code == 404
    answer = http.get(url + "/api/v1/parents/children/P-4-1/wallets/PW-4-2/topup")
    assert answer.status_code == 404
    # the office's pages and API: as if nobody were signed in
    assert http.get(url + "/students", allow_redirects=False).headers["location"].startswith(
        "/login")
    assert http.get(url + "/api/v1/admin/parents").status_code == 401
    # a form without its CSRF token changes nothing
    assert http.post(url + "/parents/logout").status_code == 403
    assert http.get(url + "/api/v1/parents/children").status_code == 200
    # staff never reach a parent's pages
    assert office.get(url + "/parents", allow_redirects=False).headers["location"].startswith(
        "/parents/login")
    assert office.get(url + parents_api.CHILDREN).status_code == 401


def test_sign_in_throttled_and_the_same_words_for_every_refusal(platform, school, mailbox):
    family(platform, school, 6)
    office = platform.session(school.members["admin"])
    username = activate(platform, mailbox, office, "autre6@famille.be")
    http = requests.Session()
    http.headers["Origin"] = platform.url
    texts = set()
    for attempt in range(parents.accounts.MAX_FAILURES):
        answer = http.post(f"{platform.url}/parents/login",
                           data={"username": username, "password": f"wrong {attempt}"})
        assert answer.status_code == 401
    locked = http.post(f"{platform.url}/parents/login",
                       data={"username": username, "password": PASSWORD})
    unknown = http.post(f"{platform.url}/parents/login",
                        data={"username": "nobody.0000", "password": PASSWORD})
    for answer in (locked, unknown):
        assert answer.status_code == 401
        texts.add(answer.text.split('id="login-error">')[1].split("<")[0])
    assert len(texts) == 1
    platform.clock.advance(seconds=parents.accounts.LOCK.total_seconds() + 1)
    assert parent_session(platform, username)


def test_topup_gives_iban_communication_and_the_epc_payload(platform, school, mailbox):
    family(platform, school, 7)
    office = platform.session(school.members["admin"])
    csrf = {"X-CSRF-Token": office.csrf}
    bad = office.put(platform.url + parents_api.BANK, headers=csrf,
                     json={"iban": "BE04 3631 3602 2232", "name": "Collège"})
    assert bad.status_code == 422 and office.get(platform.url + parents_api.BANK).json()[
        "iban"] == ""
    assert office.put(platform.url + parents_api.BANK, headers=csrf, json={
        "iban": "BE04 3631 3602 2231", "bic": "BBRUBEBB",
        "name": "Collège Saint-Michel"}).status_code == 200
    username = activate(platform, mailbox, office, "autre7@famille.be")
    http = parent_session(platform, username)
    topup = http.get(platform.url + "/api/v1/parents/children/P-7-3/wallets/PW-7-3/topup"
                     "?amount_cents=2500").json()
    communication = topup["communication"]
    assert topup["iban"] == "BE04 3631 3602 2231" and topup["days_to_arrive"] == 4
    # EPC069-12: service tag, version, character set (1: UTF-8), identification, BIC, name,
    # IBAN, amount, purpose, structured reference (the communication's 12 digits)
    assert topup["epc_payload"].split("\n") == [
        "BCD", "002", "1", "SCT", "BBRUBEBB", "Collège Saint-Michel", "BE04363136022231",
        "EUR25.00", "", communication.strip("+").replace("/", "")]
    assert topup["qr"].startswith("data:image/svg+xml")
    # the wallet's own communication, the one the bank import matches
    office_view = students.detail(platform.store, school.id, "P-7-3")["wallets"][0]
    assert communication == office_view["structured_communication"]


def test_smtp_password_file_must_be_owner_only(tmp_path):
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    env = {"COMPTOIR_SMTP_HOST": "mail.example", "COMPTOIR_SMTP_PASSWORD_FILE": str(secret)}
    with pytest.raises(mail.MailError, match="owner only"):
        mail.settings(env)
    secret.chmod(0o600)
    found = mail.settings(env)
    assert (found.password, found.port, found.security) == ("s3cret", 587, "starttls")
    with pytest.raises(mail.MailError, match="not set up"):
        mail.settings({})
    assert os.environ.get("COMPTOIR_SMTP_HOST", "") in ("", "127.0.0.1")
