"""Project pages, for staff and client users, under /p/<portal_slug>/projects/ (portail/urls.py)."""

from django.urls import path

from portail.workspace import views

app_name = "projects"

PROJECT = "<int:project_id>/"
MILESTONE = f"{PROJECT}milestones/<int:milestone_id>/"
TASK = f"{PROJECT}tasks/<int:task_id>/"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path(PROJECT, views.project_detail, name="detail"),
    path(f"{PROJECT}edit/", views.project_edit, name="edit"),
    path(f"{PROJECT}archive/", views.project_archive, name="archive"),
    path(f"{PROJECT}restore/", views.project_restore, name="restore"),
    path(f"{PROJECT}staff/", views.project_staff, name="staff"),
    path(
        f"{PROJECT}view-as/<int:membership_id>/",
        views.project_view_as,
        name="view-as",
    ),
    path(f"{PROJECT}members/add/", views.member_add, name="member-add"),
    path(
        f"{PROJECT}members/<int:membership_id>/remove/",
        views.member_remove,
        name="member-remove",
    ),
    path(f"{PROJECT}milestones/new/", views.milestone_create, name="milestone-create"),
    path(f"{MILESTONE}edit/", views.milestone_edit, name="milestone-edit"),
    path(f"{MILESTONE}close/", views.milestone_close, name="milestone-close"),
    path(f"{MILESTONE}reopen/", views.milestone_reopen, name="milestone-reopen"),
    path(f"{MILESTONE}delete/", views.milestone_delete, name="milestone-delete"),
    path(f"{PROJECT}tasks/new/", views.task_create, name="task-create"),
    path(f"{TASK}edit/", views.task_edit, name="task-edit"),
    path(f"{TASK}done/", views.task_done, name="task-done"),
    path(f"{TASK}reopen/", views.task_reopen, name="task-reopen"),
    path(f"{TASK}delete/", views.task_delete, name="task-delete"),
]
