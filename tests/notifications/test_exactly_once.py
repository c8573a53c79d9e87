"""Email exactly once, with real worker processes and a real SMTP server (aiosmtpd).

PostgreSQL only: the workers are separate processes and need the test database
to be shared (SQLite's lives in this process's memory).

The one window left is described in SECURITY.md ("Email: exactly once"): a
worker that dies after the SMTP server accepted a message but before the row
says "sent" leaves the row to the reaper, which queues it again. The second
copy carries the same Message-ID as the first (from the row) for an email
without a link, so a receiver can drop it; an email with a link carries a new
link, and so a new Message-ID, at each attempt (see `delivery._message_id`).
"""

from __future__ import annotations

import collections
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from django.db import connection, transaction

from portail.accounts.models import User
from portail.clients import invitation_selectors, invitation_services
from portail.clients.invitation_selectors import LinkStatus
from portail.notifications.delivery import _message_id
from portail.notifications.models import EmailStatus, OutboundEmail
from portail.portals.models import Membership
from tests.clients.test_invitations import invited
from tests.conftest import World
from tests.notifications.conftest import RecordingHandler, free_port, queue_reset_email
from tests.notifications.test_worker import let_time_pass, wait_for
from tests.notifications.test_worker_outages import smtp_listening, worker_process
from tests.outbox import INVITATION_LINK

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="worker processes need a shared database"
    ),
    pytest.mark.django_db(transaction=True),
]

SENT_LINE = re.compile(r"Outbox email (\d+) sent \(attempt (\d+)\)")


@contextmanager
def workers(count: int, *, smtp_port: int, logs: Path) -> Iterator[list[Path]]:
    """`count` run_worker processes on the test database, each with its own log file."""
    database_port = int(connection.settings_dict["PORT"] or 5432)
    paths = [logs / f"worker-{number}.log" for number in range(count)]
    with ExitStack() as stack:
        for path in paths:
            stack.enter_context(
                worker_process(database_port=database_port, smtp_port=smtp_port, log=path)
            )
        yield paths


def sent_by(log: Path) -> list[int]:
    return [int(match[1]) for match in SENT_LINE.finditer(log.read_text())]


def all_sent(ids: list[int]) -> bool:
    return OutboundEmail.objects.filter(pk__in=ids, status=EmailStatus.SENT).count() == len(ids)


def test_two_workers_deliver_200_queued_emails_each_exactly_once(tmp_path: Path) -> None:
    smtp = RecordingHandler()
    smtp_port = free_port()
    paul = User.objects.create_user("paul@bowman.test", full_name="Paul Bowman")
    addresses = [f"person{number:03}@bowman.test" for number in range(200)]

    with smtp_listening(smtp, smtp_port), workers(2, smtp_port=smtp_port, logs=tmp_path) as logs:
        with transaction.atomic():  # 200 emails and their 200 tasks, as one commit
            emails = [queue_reset_email(paul, to=address) for address in addresses]
        ids = [email.pk for email in emails]
        wait_for(lambda: all_sent(ids), "all 200 emails", timeout=120)
        # Leave the workers a moment to send a second copy, should one be wrong.
        wait_for(lambda: len(smtp.received) >= 200, "the server to hold 200 messages")

    delivered = collections.Counter(message["To"] for message in smtp.messages)
    assert sorted(delivered) == addresses
    assert set(delivered.values()) == {1}, [to for to, n in delivered.items() if n > 1]
    message_ids = {message["Message-ID"] for message in smtp.messages}
    assert message_ids == {_message_id(email) for email in OutboundEmail.objects.filter(pk__in=ids)}
    assert set(OutboundEmail.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}
    # Both workers took part, and between them each row was sent by exactly one.
    shares = [sent_by(log) for log in logs]
    assert all(shares), [len(share) for share in shares]
    assert sorted(shares[0] + shares[1]) == sorted(ids)


def test_ten_invitations_made_while_smtp_is_down_each_go_out_once_when_it_is_back(
    world: World, tmp_path: Path
) -> None:
    smtp = RecordingHandler()
    smtp_port = free_port()  # nothing listens there yet: the SMTP server is down
    people: list[Membership] = [
        invited(world, f"guest{number}@bowman.test", f"Guest {number}") for number in range(10)
    ]

    with workers(2, smtp_port=smtp_port, logs=tmp_path):
        sent = [
            invitation_services.invitation_send(membership=person, actor=world.admin.user)
            for person in people
        ]
        emails = OutboundEmail.objects.filter(link_kind=invitation_services.LINK_KIND)
        assert emails.count() == 10
        refused = emails.filter(attempts=1, status=EmailStatus.QUEUED)
        wait_for(lambda: refused.count() == 10, "a first try of each, refused", timeout=60)
        errors = {email.last_error.split(":")[0] for email in emails.all()}
        assert errors == {"ConnectionRefusedError"}

        with smtp_listening(smtp, smtp_port):
            let_time_pass(31)  # the outbox's first retry waits 30 s; don't wait for real
            ids = list(emails.values_list("pk", flat=True))
            wait_for(lambda: all_sent(ids), "the ten", timeout=60)
            wait_for(lambda: len(smtp.received) >= 10, "the server to hold ten messages")

    delivered = collections.Counter(message["To"] for message in smtp.messages)
    assert delivered == {person.user.email: 1 for person in people}
    assert set(emails.values_list("attempts", flat=True)) == {2}
    # What arrived works: each link opens its own invitation.
    for message in smtp.messages:
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        match = INVITATION_LINK.search(body.get_content())
        assert match is not None
        raw = match["token"]
        check = invitation_selectors.invitation_for_token(raw_token=raw)
        assert check.status == LinkStatus.VALID
        assert check.invitation is not None
        assert check.invitation.membership.user.email == message["To"]
    assert {invitation.pk for invitation in sent} == set(emails.values_list("link_ref", flat=True))
