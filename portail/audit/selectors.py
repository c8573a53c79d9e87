"""The audit log's reads, always from a portal (another portal's events are never found)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from portail.accounts.models import User
from portail.audit.models import AuditEvent
from portail.portals.models import Portal


def audit_events(
    *,
    portal: Portal,
    actor_id: int | None = None,
    action_prefix: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The portal's events, newest first, filtered in SQL.

    `action_prefix` matches whole dotted segments: "client_company" or
    "client_company." finds every "client_company.*" key, and
    "client_company.created" finds that key (not "client_company.created_by").
    `since` and `until` are days in the portal's time zone, both included.
    """
    events = AuditEvent.objects.filter(portal=portal).select_related("actor")
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if action_prefix:
        key = action_prefix.removesuffix(".")
        events = events.filter(Q(action=key) | Q(action__startswith=f"{key}."))
    zone = ZoneInfo(portal.time_zone)
    if since is not None:
        events = events.filter(created_at__gte=_start_of_day(since, zone))
    if until is not None and until < date.max:
        events = events.filter(created_at__lt=_start_of_day(until + timedelta(days=1), zone))
    return events.order_by("-created_at", "-id")


def _start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone`, in UTC (the first one there is, for 0001-01-01)."""
    try:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    except OverflowError:  # 0001-01-01 east of UTC falls in year 0
        return datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AuditFilterChoices:
    actors: list[tuple[int, str]]  # (user id, "Name (email)"), by name
    actions: list[str]  # the action keys, sorted


def audit_filter_choices(*, portal: Portal) -> AuditFilterChoices:
    """The people and action keys that occur in the portal's log, in two queries."""
    in_portal = AuditEvent.objects.filter(portal=portal)
    people = User.objects.filter(pk__in=in_portal.filter(actor__isnull=False).values("actor_id"))
    actors = sorted(
        (
            (
                person.pk,
                f"{person.full_name} ({person.email})" if person.full_name else person.email,
            )
            for person in people.only("pk", "full_name", "email")
        ),
        key=lambda choice: (choice[1].casefold(), choice[0]),
    )
    # An explicit order_by replaces Meta.ordering, which would otherwise defeat distinct().
    actions = list(in_portal.values_list("action", flat=True).distinct().order_by("action"))
    return AuditFilterChoices(actors=actors, actions=actions)
