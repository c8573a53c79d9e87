"""The notes module, declared into the permission registry like any module."""

from django.utils.translation import gettext_lazy as _

from portail.registry import LEVELLED, ON_OFF, Ability, Action, Module, registry
from tests.notes_module.models import Note

NOTES = registry.module(
    Module(
        "notes",
        _("Notes"),
        (Ability(Action.VIEW, LEVELLED), Ability(Action.ADD, ON_OFF), Ability(Action.EDIT)),
        model=Note,
        item="note",
        own_fields=("created_by",),
        client_visible="client_visible",
        urls="tests.notes_module.urls",
    )
)
NOTES_VIEW = NOTES.code(Action.VIEW)
NOTES_ADD = NOTES.code(Action.ADD)
NOTES_EDIT = NOTES.code(Action.EDIT)
