from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import resolve_url

from portail.clients.models import ClientCompany
from tests.conftest import CLIENT_COMPANY


def curl(name: str, company: ClientCompany | None = None, slug: str = "acme") -> str:
    kwargs: dict[str, Any] = {"portal_slug": slug}
    if company is not None:
        kwargs["company_id"] = company.pk
    return resolve_url(f"clients:{name}", **kwargs)


def made_companies() -> QuerySet[ClientCompany]:
    """Client companies the test made (the shared world has the client persona's own)."""
    return ClientCompany.objects.exclude(name=CLIENT_COMPANY)
