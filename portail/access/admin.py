"""The Django admin's portal form makes the portal's built-in client profile with it, as
`createportal` and `load_demo` do, so a portal's profile pages never need to write on a
GET. `portals` may not import `access`: access extends its `PortalAdmin` here, through
the admin's public `save_model` hook (every other admin option stays in `portals.admin`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from portail.access.profiles import client_profile_builtin
from portail.portals import admin as portals_admin
from portail.portals.models import Portal

admin.site.unregister(Portal)


@admin.register(Portal)
class PortalAdmin(portals_admin.PortalAdmin):
    def save_model(self, request: HttpRequest, obj: Portal, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            client_profile_builtin(portal=obj)
