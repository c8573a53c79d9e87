from __future__ import annotations

from typing import Any

from django.shortcuts import resolve_url

from portail.clients.models import ClientCompany


def curl(name: str, company: ClientCompany | None = None, slug: str = "acme") -> str:
    kwargs: dict[str, Any] = {"portal_slug": slug}
    if company is not None:
        kwargs["company_id"] = company.pk
    return resolve_url(f"clients:{name}", **kwargs)
