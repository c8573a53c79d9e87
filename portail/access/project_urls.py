"""A client user's permissions in one project (RULES PE2-PE4, PE7), under
/p/<portal_slug>/projects/<project_id>/clients/users/<membership_id>/permissions/
(see portail/urls.py)."""

from django.urls import URLPattern

app_name = "member-permissions"

urlpatterns: list[URLPattern] = []
