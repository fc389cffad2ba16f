"""E-mail from the platform (issue 17: the parents' login tokens), through the SMTP server
the platform's settings name.

Settings (``settings()``, read from the environment at each sending, so that the office never
needs a restart after fixing them):

* ``COMPTOIR_SMTP_HOST`` (required: without it nothing is sent and the office is told),
  ``COMPTOIR_SMTP_PORT`` (default 587 with STARTTLS, 465 with SSL, else 25),
* ``COMPTOIR_SMTP_SECURITY``: ``starttls`` (default), ``ssl`` or ``none`` (a relay on the
  same machine),
* ``COMPTOIR_SMTP_USER`` and the password: ``COMPTOIR_SMTP_PASSWORD_FILE`` (a file only its
  owner may read: refused otherwise) or ``COMPTOIR_SMTP_PASSWORD``,
* ``COMPTOIR_SMTP_SENDER``: the From address (default ``comptoir@<host>``).

``send`` raises ``MailError`` (its ``phrase`` translatable) with what went wrong, never the
message's content (it holds a token) nor the recipient (personal data).
"""
from __future__ import annotations

import os
import smtplib
import ssl
import stat
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from sync.server.errors import Phrase

ENV = "COMPTOIR_SMTP_"
TIMEOUT = 20.0          # seconds: a stuck server must not hold the office's page forever


class MailError(Exception):
    """A message that could not be sent; ``phrase`` says why, in any language."""

    def __init__(self, phrase: Phrase):
        super().__init__(str(phrase))
        self.phrase = phrase


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    security: str       # starttls | ssl | none
    user: str
    password: str
    sender: str


def settings(environ: dict[str, str] | None = None) -> Settings:
    """The SMTP settings (see the module's docstring), checked."""
    env = dict(os.environ if environ is None else environ)

    def get(name: str, default: str = "") -> str:
        return env.get(ENV + name, default).strip()
    host = get("HOST")
    if not host:
        raise MailError(Phrase("e-mail is not set up on the platform"
                                          " (COMPTOIR_SMTP_HOST): nothing was sent"))
    security = get("SECURITY", "starttls").lower()
    if security not in ("starttls", "ssl", "none"):
        raise MailError(Phrase("COMPTOIR_SMTP_SECURITY must be starttls, ssl or none"))
    default_port = {"starttls": "587", "ssl": "465", "none": "25"}[security]
    try:
        port = int(get("PORT", default_port))
    except ValueError:
        raise MailError(Phrase("COMPTOIR_SMTP_PORT is not a port number")) from None
    password = get("PASSWORD")
    if get("PASSWORD_FILE"):
        password = _read_secret(Path(get("PASSWORD_FILE")))
    return Settings(host, port, security, get("USER"), password,
                    get("SENDER") or f"comptoir@{host}")


def _read_secret(path: Path) -> str:
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise MailError(Phrase("the SMTP password file must be readable by its"
                                              " owner only (chmod 600)"))
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        raise MailError(Phrase("the SMTP password file cannot be read")) from None


def send(to: str, subject: str, body: str, config: Settings | None = None) -> None:
    """Send one plain-text message (UTF-8); ``unavailable`` when it could not be handed to
    the SMTP server."""
    config = config or settings()
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config.sender, to, subject
    message.set_content(body)
    try:
        if config.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=TIMEOUT,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=TIMEOUT)
        with client:
            if config.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if config.user:
                client.login(config.user, config.password)
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as e:
        raise MailError(Phrase("the e-mail server refused or could not be reached"
                                          " ({error}): try again later",
                           error=type(e).__name__)) from None
