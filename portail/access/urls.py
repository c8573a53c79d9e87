"""Client profile pages, under /p/<portal_slug>/profiles/ (see portail/urls.py)."""

from django.urls import path

from portail.access import views

app_name = "access"

PROFILE = "<int:profile_id>/"

urlpatterns = [
    path("", views.profile_list, name="profiles"),
    path("new/", views.profile_create, name="profile-create"),
    path(f"{PROFILE}permissions/", views.profile_permissions, name="profile-permissions"),
    path(f"{PROFILE}rename/", views.profile_rename, name="profile-rename"),
    path(f"{PROFILE}default/", views.profile_set_default, name="profile-default"),
    path(f"{PROFILE}delete/", views.profile_delete, name="profile-delete"),
]
