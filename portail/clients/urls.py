"""Client company pages, under /p/<portal_slug>/clients/ (see portail/urls.py)."""

from django.urls import path

from portail.clients import views

app_name = "clients"

COMPANY = "companies/<int:company_id>/"

urlpatterns = [
    path("companies/", views.company_list, name="companies"),
    path("companies/new/", views.company_create, name="company-create"),
    path(f"{COMPANY}edit/", views.company_edit, name="company-edit"),
    path(f"{COMPANY}delete/", views.company_delete, name="company-delete"),
]
