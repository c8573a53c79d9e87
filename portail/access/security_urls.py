"""Portal settings pages, under /p/<portal_slug>/settings/ (see portail/urls.py)."""

from django.urls import path

from portail.access import security_views

app_name = "portal-settings"

urlpatterns = [
    path("security/", security_views.security, name="security"),
]
