"""`project.edit` became staff-only: no client profile or customisation holds it any more.

Every page it guards (project settings, staff, client companies, permissions) was
staff-only already, so a client who had it could do nothing more; the stored sets
drop the code so the grid, the diff and the audit log never show it. Not reversible
in substance: going back leaves the code out, which means `none`.
"""

from typing import Any

from django.db import migrations

CODE = "project.edit"


def drop_project_edit(apps: Any, schema_editor: Any) -> None:
    for model in ("ClientProfile", "PermissionOverride"):
        rows = apps.get_model("access", model).objects.filter(permissions__has_key=CODE)
        for row in rows:
            row.permissions = {k: v for k, v in row.permissions.items() if k != CODE}
            row.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("access", "0004_builtin_sees_project_users")]

    operations = [migrations.RunPython(drop_project_edit, migrations.RunPython.noop)]
