"""A project's client companies and client users (RULES PC1-PC8), under
/p/<portal_slug>/projects/<project_id>/clients/ (see portail/urls.py)."""

from django.urls import path

from portail.clients import project_views as views

app_name = "project-clients"

COMPANY = "companies/<int:company_id>/"
USER = "users/<int:membership_id>/"

urlpatterns = [
    path("", views.client_list, name="list"),
    path("companies/add/", views.company_add, name="company-add"),
    path(f"{COMPANY}primary/", views.company_primary, name="company-primary"),
    path(f"{COMPANY}remove/", views.company_remove, name="company-remove"),
    path(f"{COMPANY}users/add/", views.users_add, name="users-add"),
    path(f"{USER}edit/", views.user_edit, name="user-edit"),
    path(f"{USER}remove/", views.user_remove, name="user-remove"),
]
