"""A real SMTP server for the outbox tests (aiosmtpd on 127.0.0.1), not a mock.

`smtp_server` starts one on a free port, points Django's SMTP backend at it,
and records what it receives. Tell it how to answer with `data_answers`
(answers to DATA, used in order, then "250") and `rcpt_answers` (same for RCPT).
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pytest_django.fixtures import Settings

from portail.accounts.models import User
from portail.notifications.models import OutboundEmail
from portail.notifications.services import email_queue
from tests.conftest import make_user


def free_port() -> int:
    """A TCP port nobody listens on (right now) on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RecordingHandler:
    data_answers: list[str] = field(default_factory=list)
    rcpt_answers: list[str] = field(default_factory=list)
    received: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.rcpt_answers:
            return self.rcpt_answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_answers:
            return self.data_answers.pop(0)
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        parsed = []
        for envelope in self.received:
            content = envelope.original_content or envelope.content
            assert isinstance(content, bytes)
            message = email.message_from_bytes(content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed


def use_smtp(settings: Settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp_server(settings: Settings) -> Iterator[RecordingHandler]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="localhost")
    controller.start()
    use_smtp(settings, port)
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def no_smtp_server(settings: Settings) -> None:
    """Django's SMTP backend pointed at a port where nothing listens."""
    use_smtp(settings, free_port())


@pytest.fixture
def person(db: None) -> User:
    return make_user("paul@bowman.test", "Paul O'Neil", language="en")


def queue_reset_email(user: User, **overrides: Any) -> OutboundEmail:
    """The password-reset email, queued exactly as `accounts` queues it."""
    arguments: dict[str, Any] = {
        "kind": "password_reset",
        "to": user.email,
        "template": "password_reset",
        "context": {
            "user": user,
            "reset_url": "https://portail.example/accounts/password/reset/tok3n/",
            "expires_hours": 2,
        },
        "language": user.language,
        **overrides,
    }
    return email_queue(**arguments)
