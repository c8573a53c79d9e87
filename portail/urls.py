from django.contrib import admin
from django.urls import include, path

from portail.accounts import twofactor_views
from portail.clients import invitation_urls
from portail.portals import views as portal_views
from portail.registry import registry

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("portals/", portal_views.portal_picker, name="portal-picker"),
    path("accounts/", include("portail.accounts.urls")),
    path("accounts/", include("portail.recovery.urls")),
    path("p/<slug:portal_slug>/", include("portail.portals.urls")),
    path("p/<slug:portal_slug>/projects/", include("portail.workspace.urls")),
    path(
        "p/<slug:portal_slug>/projects/<int:project_id>/clients/",
        include("portail.clients.project_urls"),
    ),
    path(
        "p/<slug:portal_slug>/projects/<int:project_id>/clients/users/<int:membership_id>/permissions/",
        include("portail.access.project_urls"),
    ),
    path("p/<slug:portal_slug>/outbox/", include("portail.notifications.urls")),
    path("p/<slug:portal_slug>/clients/", include("portail.clients.urls")),
    path(
        "p/<slug:portal_slug>/clients/users/<int:membership_id>/",
        include((invitation_urls.portal_urlpatterns, "invitation-admin")),
    ),
    path("invitations/", include((invitation_urls.public_urlpatterns, "invitations"))),
    path("p/<slug:portal_slug>/audit/", include("portail.audit.urls")),
    path("p/<slug:portal_slug>/profiles/", include("portail.access.urls")),
    path("p/<slug:portal_slug>/locked-out/", include("portail.access.lockout_urls")),
    path("p/<slug:portal_slug>/settings/", include("portail.access.security_urls")),
    # Before the admin's own: its sign-in form would skip the second factor.
    path("admin/login/", twofactor_views.admin_signin, name="admin-signin"),
    path("admin/", admin.site.urls),
]

# Each project module's pages, under the project (a module declares them: registry.py).
urlpatterns += [
    path(
        f"p/<slug:portal_slug>/projects/<int:project_id>/{module.key}/",
        include((module.urls, module.key)),
    )
    for module in registry.all_modules()
    if module.urls
]

# Error pages in the site's layout and the reader's language (portail/errors.py).
handler400 = "portail.errors.bad_request"
handler403 = "portail.errors.permission_denied"
handler404 = "portail.errors.page_not_found"
handler500 = "portail.errors.server_error"
