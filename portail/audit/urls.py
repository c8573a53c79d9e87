from django.urls import path

from portail.audit import views

app_name = "audit"

# Included at /p/<portal_slug>/audit/ by portail/urls.py.
urlpatterns = [
    path("", views.events, name="events"),
]
