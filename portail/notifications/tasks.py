"""Background tasks of the outbox (django-tasks, run by `manage.py run_worker`).

Tasks carry only the row's id: the row holds the message and its state, so a
task that runs twice, late, or never (the reaper re-enqueues) does no harm.
"""

from __future__ import annotations

from django_tasks import task

from portail.notifications import delivery


@task()
def email_send(email_id: int) -> str:
    """Make one attempt at sending the outbox row; on a temporary failure, schedule the next."""
    attempt = delivery.email_attempt(email_id=email_id)
    if attempt.retry_at is not None:
        email_send.using(run_after=attempt.retry_at).enqueue(email_id)
    return attempt.outcome.value
