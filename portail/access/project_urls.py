"""A client user's permissions in one project (RULES PE2-PE4, PE7), under
/p/<portal_slug>/projects/<project_id>/clients/users/<membership_id>/permissions/
(see portail/urls.py). Every view takes portal_slug, project_id and membership_id."""

from django.urls import path

from portail.access import member_views as views

app_name = "member-permissions"

urlpatterns = [
    path("", views.member_permissions, name="show"),
    path("customise/", views.member_customise, name="edit"),
    path("clone/", views.member_clone, name="clone"),
    path("reset/", views.member_reset, name="reset"),
]
