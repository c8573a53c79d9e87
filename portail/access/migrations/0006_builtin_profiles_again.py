"""Give the built-in "Client" profile to any portal still without one.

Pages no longer create it when they are opened (a GET writes nothing): a portal made
in the Django admin before the admin learnt to create it would otherwise show a
"Client" row without its buttons until the first profile or client user is added.
"""

from typing import Any

from django.db import migrations

# A frozen copy of the built-in set as it is when this migration is written.
BUILTIN = {
    "project.view": "all",
    "milestones.view": "all",
    "tasks.view": "all",
    "tasks.add": "all",
    "tasks.edit": "own",
    "tasks.delete": "own",
    "users.view": "all",
}


def create_builtin_profiles(apps: Any, schema_editor: Any) -> None:
    Portal = apps.get_model("portals", "Portal")
    ClientProfile = apps.get_model("access", "ClientProfile")
    for portal in Portal.objects.exclude(client_profiles__is_builtin=True):
        taken = ClientProfile.objects.filter(portal=portal, name__iexact="Client").exists()
        ClientProfile.objects.create(
            portal=portal,
            name="Client (built-in)" if taken else "Client",
            permissions=BUILTIN,
            is_builtin=True,
            is_default=not ClientProfile.objects.filter(portal=portal, is_default=True).exists(),
        )


class Migration(migrations.Migration):
    dependencies = [("access", "0005_project_edit_is_staff_only")]

    operations = [migrations.RunPython(create_builtin_profiles, migrations.RunPython.noop)]
