"""Give every existing portal its built-in "Client" profile (new portals get it on creation)."""

from typing import Any

from django.db import migrations

# A frozen copy of catalogue.BUILTIN_CLIENT_PERMISSIONS as it was when this migration was written.
BUILTIN = {
    "project.view": "all",
    "milestones.view": "all",
    "tasks.view": "all",
    "tasks.add": "all",
    "tasks.edit": "own",
    "tasks.delete": "own",
}


def create_builtin_profiles(apps: Any, schema_editor: Any) -> None:
    Portal = apps.get_model("portals", "Portal")
    ClientProfile = apps.get_model("access", "ClientProfile")
    for portal in Portal.objects.exclude(client_profiles__is_builtin=True):
        ClientProfile.objects.create(
            portal=portal,
            name="Client",
            permissions=BUILTIN,
            is_builtin=True,
            is_default=not ClientProfile.objects.filter(portal=portal, is_default=True).exists(),
        )


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]

    operations = [migrations.RunPython(create_builtin_profiles, migrations.RunPython.noop)]
