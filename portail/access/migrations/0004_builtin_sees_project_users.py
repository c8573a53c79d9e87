"""The `users` module entered the catalogue: built-in "Client" profiles may see a project's people.

Only built-in profiles that never said anything about `users.view` get it;
profiles admins made keep what they have (a code they lack means `none`).
"""

from typing import Any

from django.db import migrations


def grant_users_view(apps: Any, schema_editor: Any) -> None:
    ClientProfile = apps.get_model("access", "ClientProfile")
    for profile in ClientProfile.objects.filter(is_builtin=True):
        if "users.view" not in profile.permissions:
            profile.permissions = {**profile.permissions, "users.view": "all"}
            profile.save(update_fields=["permissions"])


def revoke_users_view(apps: Any, schema_editor: Any) -> None:
    ClientProfile = apps.get_model("access", "ClientProfile")
    for profile in ClientProfile.objects.filter(is_builtin=True):
        profile.permissions = {k: v for k, v in profile.permissions.items() if k != "users.view"}
        profile.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("access", "0003_permission_override")]

    operations = [migrations.RunPython(grant_users_view, revoke_users_view)]
