"""A real SMTP server on loopback for the parents' tests (a helper, not a test): aiosmtpd's
``Controller`` receives what the platform sends; the tests read the messages. ``Mailbox``
sets the platform's SMTP settings (``sync.server.mail``) to it while it runs."""
from __future__ import annotations

import os
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from sync.server import mail


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self) -> None:
        self.received: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class Mailbox:
    """``mailbox.messages``: every message received, oldest first; ``token_for(address)``:
    the username and login token of the last message to that address."""

    def __init__(self) -> None:
        self.handler = _Handler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=free_port())
        self.controller.start()
        self.saved = {k: v for k, v in os.environ.items() if k.startswith(mail.ENV)}
        self.plug()

    def plug(self) -> None:
        """The platform sends here (no TLS on loopback)."""
        os.environ.update({mail.ENV + "HOST": "127.0.0.1",
                           mail.ENV + "PORT": str(self.controller.port),
                           mail.ENV + "SECURITY": "none", mail.ENV + "SENDER": "ecole@test.be"})

    def unplug(self) -> None:
        """The platform's SMTP server is a closed port (a server down)."""
        os.environ[mail.ENV + "PORT"] = str(free_port())

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.received

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def token_for(self, address: str) -> tuple[str, str]:
        body = self.to(address)[-1].get_content()
        said = [line.split(": ", 1)[1].strip() for line in body.splitlines() if ": " in line]
        assert len(said) >= 2, body
        return said[0], said[1]

    def close(self) -> None:
        self.controller.stop()
        for key in [k for k in os.environ if k.startswith(mail.ENV)]:
            del os.environ[key]
        os.environ.update(self.saved)
