"""Invitation URLs, in two lists that portail/urls.py mounts:

- `public_urlpatterns` under /invitations/ (namespace "invitations"): the
  acceptance page, open to whoever holds the link;
- `portal_urlpatterns` under /p/<portal_slug>/clients/users/<membership_id>/
  (namespace "invitation-admin"): an admin's re-invite and revoke buttons.
"""

from django.urls import path

from portail.clients import invitation_views

public_urlpatterns = [
    path("<str:token>/", invitation_views.accept, name="invitation-accept"),
]

portal_urlpatterns = [
    path("reinvite/", invitation_views.resend, name="invitation-resend"),
    path("revoke/", invitation_views.revoke, name="invitation-revoke"),
]
