"""Client company and client user pages, under /p/<portal_slug>/clients/ (see portail/urls.py).

Re-inviting and revoking invitations live in invitation_urls.py, under users/<id>/.
"""

from django.urls import path

from portail.clients import views

app_name = "clients"

COMPANY = "companies/<int:company_id>/"
USER = "users/<int:membership_id>/"

urlpatterns = [
    path("companies/", views.company_list, name="companies"),
    path("companies/new/", views.company_create, name="company-create"),
    path(f"{COMPANY}edit/", views.company_edit, name="company-edit"),
    path(f"{COMPANY}delete/", views.company_delete, name="company-delete"),
    path(f"{COMPANY}users/add/", views.company_users_add, name="company-users-add"),
    path("users/", views.user_list, name="users"),
    path("users/add/", views.user_add, name="user-add"),
    path(f"{USER}edit/", views.user_edit, name="user-edit"),
    path(f"{USER}remove/", views.user_remove, name="user-remove"),
]
