from django.urls import path

from portail.accounts import twofactor_views, views

app_name = "accounts"

urlpatterns = [
    path("signin/", views.SignInView.as_view(), name="signin"),
    path("signin/code/", twofactor_views.signin_code, name="signin-code"),
    path("signout/", views.SignOutView.as_view(), name="signout"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password-change"),
    path("preferences/", views.preferences, name="preferences"),
    path("two-factor/", twofactor_views.two_factor, name="two-factor"),
    path("two-factor/setup/", twofactor_views.two_factor_setup, name="two-factor-setup"),
    path("two-factor/verify/", twofactor_views.two_factor_verify, name="two-factor-verify"),
    path(
        "two-factor/recovery-codes/",
        twofactor_views.two_factor_recovery_codes,
        name="two-factor-recovery-codes",
    ),
    path("two-factor/disable/", twofactor_views.two_factor_disable, name="two-factor-disable"),
]
