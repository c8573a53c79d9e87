from django.urls import path

from tests.notes_module import views

urlpatterns = [
    path("", views.note_list, name="list"),
    path("add/", views.note_add, name="add"),
    path("<int:note_id>/edit/", views.note_edit, name="edit"),
]
