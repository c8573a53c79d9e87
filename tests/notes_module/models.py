from django.db import models


class Note(models.Model):
    """A note in a project: added by someone, shown to clients or kept internal."""

    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE)
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE)
    text = models.CharField(max_length=200)
    client_visible = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        "portals.Membership", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text
