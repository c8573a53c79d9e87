"""The notes pages: thin, through the gate, like every project page."""

from django.http import HttpResponse
from django.utils.html import escape
from django.views.decorators.http import require_POST, require_safe

from portail.access.decorators import ProjectRequest, project_permission
from portail.access.selectors import visible
from portail.projects.models import Project
from tests.notes_module.models import Note
from tests.notes_module.permissions import NOTES, NOTES_ADD, NOTES_EDIT, NOTES_VIEW


@project_permission(NOTES_VIEW)
@require_safe
def note_list(request: ProjectRequest, project: Project) -> HttpResponse:
    notes = visible(request.membership, project, NOTES, perms=request.project_perms)
    return HttpResponse("\n".join(escape(note.text) for note in notes))


@project_permission(NOTES_ADD)
@require_POST
def note_add(request: ProjectRequest, project: Project) -> HttpResponse:
    note = Note.objects.create(
        portal=project.portal,
        project=project,
        text=request.POST.get("text", "A note"),
        client_visible=request.membership.is_client,
        created_by=request.membership,
    )
    return HttpResponse(str(note.pk), status=201)


@project_permission(NOTES_EDIT, item="note")
@require_POST
def note_edit(request: ProjectRequest, project: Project, note: Note) -> HttpResponse:
    Note.objects.filter(pk=note.pk).update(text=request.POST.get("text", note.text))
    return HttpResponse(str(note.pk))
