from django.urls import path

from portail.notifications import views

app_name = "notifications"

# Included at /p/<portal_slug>/outbox/ by portail/urls.py.
urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("<int:email_id>/retry/", views.retry, name="retry"),
]
