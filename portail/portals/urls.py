from django.urls import path

from portail.portals import views

app_name = "portals"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
