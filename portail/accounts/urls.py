from django.urls import path

from portail.accounts import views

app_name = "accounts"

urlpatterns = [
    path("signin/", views.SignInView.as_view(), name="signin"),
    path("signout/", views.SignOutView.as_view(), name="signout"),
    path("password/reset/", views.password_reset_request, name="password-reset"),
    path(
        "password/reset/<str:token>/",
        views.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path("password/change/", views.PasswordChangeView.as_view(), name="password-change"),
    path("preferences/", views.preferences, name="preferences"),
]
