"""The portal's locked-out people, under /p/<portal_slug>/locked-out/ (see portail/urls.py)."""

from django.urls import path

from portail.access import lockout_views

app_name = "lockout"

urlpatterns = [
    path("", lockout_views.people, name="people"),
    path("<int:membership_id>/unlock/", lockout_views.unlock, name="unlock"),
]
