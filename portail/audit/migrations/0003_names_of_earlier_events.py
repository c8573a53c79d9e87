"""Earlier events in the convention of `audit_log` (one convention for every app):

- each id an event holds of a project, client company, person or client profile gets the
  row's name, read now (the best there is: the log used to read names when it was shown);
  ids of rows deleted since stay unnamed and read as "#id";
- targets whose label was made of ids ("6 in project 2") get their name the same way;
- putting staff on a project and taking them off had their own keys
  (`project.member_added`, `project.member_removed`); it is one action, so one key:
  `project_member.added` / `project_member.removed`, as for client users.

Frozen here: which stored keys held ids, and how each kind of row was named then.
"""

from typing import Any

from django.db import migrations

REFERENCES = {
    "project": "projects.project",
    "projects": "projects.project",
    "company": "clients.clientcompany",
    "new_primary": "clients.clientcompany",
    "previous_primary": "clients.clientcompany",
    "membership": "portals.membership",
    "copied_from": "portals.membership",
    "removed_users": "portals.membership",
    "client_users": "portals.membership",
    "profile": "access.clientprofile",
    "clone_of": "access.clientprofile",
    "default": "access.clientprofile",
    "removed_users_moved_to": "access.clientprofile",
}
NAME_FIELDS = {
    "projects.project": ("name",),
    "clients.clientcompany": ("name",),
    "portals.membership": ("user__email",),
    "access.clientprofile": ("name",),
    "projects.projectmember": ("membership__user__email", "project__name"),
    "clients.projectclient": ("company__name", "project__name"),
    "clients.invitation": ("membership__user__email",),
    "access.permissionoverride": ("member__membership__user__email", "member__project__name"),
}
TARGETS = {
    "projects.projectmember",
    "clients.projectclient",
    "clients.invitation",
    "access.permissionoverride",
}
BATCH = 500


def _ids(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _names(apps: Any, wanted: dict[str, set[int]]) -> dict[tuple[str, int], str]:
    found: dict[tuple[str, int], str] = {}
    for label, ids in wanted.items():
        app_label, model_name = label.split(".")
        model = apps.get_model(app_label, model_name)
        fields = NAME_FIELDS[label]
        for pk, *parts in model._default_manager.filter(pk__in=ids).values_list("pk", *fields):
            found[(label, pk)] = " · ".join(str(part) for part in parts if part)
    return found


def _convert(apps: Any, events: list[Any]) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    wanted: dict[str, set[int]] = {}
    for event in events:
        for values in (event.before, event.after):
            if isinstance(values, dict):
                for key in values.keys() & REFERENCES.keys():
                    wanted.setdefault(REFERENCES[key], set()).update(_ids(values[key]))
        if event.target_type in TARGETS and event.target_id.isdigit():
            wanted.setdefault(event.target_type, set()).add(int(event.target_id))
    names = _names(apps, wanted)
    for event in events:
        named: dict[str, Any] = {}
        for values in (event.before, event.after):
            if not isinstance(values, dict):
                continue
            for key in values.keys() & REFERENCES.keys():
                label = REFERENCES[key]
                entry = named.setdefault(key, {"type": label, "rows": {}})
                for pk in _ids(values[key]):
                    if (label, pk) in names:
                        entry["rows"][str(pk)] = names[(label, pk)]
        event.names = named
        if event.target_type in TARGETS and event.target_id.isdigit():
            event.target_label = names.get(
                (event.target_type, int(event.target_id)), event.target_label
            )[:300]
        if event.action in ("project.member_added", "project.member_removed"):
            event.action = event.action.replace("project.member_", "project_member.")
    AuditEvent.objects.bulk_update(events, ["names", "target_label", "action"])


def forwards(apps: Any, schema_editor: Any) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    batch: list[Any] = []
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=BATCH):
        batch.append(event)
        if len(batch) == BATCH:
            _convert(apps, batch)
            batch = []
    if batch:
        _convert(apps, batch)


def backwards(apps: Any, schema_editor: Any) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditEvent.objects.filter(action="project_member.added", target_type="projects.project").update(
        action="project.member_added"
    )
    AuditEvent.objects.filter(
        action="project_member.removed", target_type="projects.project"
    ).update(action="project.member_removed")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_names"),
        ("projects", "0002_client_visible"),
        ("clients", "0003_sqlite_unicode_case"),
        ("access", "0006_builtin_profiles_again"),
        ("portals", "0003_require_staff_two_factor"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
