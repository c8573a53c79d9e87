"""A project's client companies and client users (RULES PC1-PC8), under
/p/<portal_slug>/projects/<project_id>/clients/ (see portail/urls.py)."""

from django.urls import URLPattern

app_name = "project-clients"

urlpatterns: list[URLPattern] = []
