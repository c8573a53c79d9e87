"""Password resets, under /accounts/ beside the sign-in pages (portail/urls.py)."""

from django.urls import path

from portail.recovery import views

app_name = "recovery"

urlpatterns = [
    path("password/reset/", views.password_reset_request, name="password-reset"),
    path(
        "password/reset/<str:token>/",
        views.password_reset_confirm,
        name="password-reset-confirm",
    ),
]
