"""Register exports written in the background: one row per request, its progress and file.

The file lives under the private media root (``exports/``), never served by the web
server: it is downloaded through a view that checks the owner. The rules (who may start
one, when a row is failed or deleted) are in ``documents.export_jobs``.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def export_job_path(instance: ExportJob, filename: str) -> str:
    # Generated names only: the download name is rebuilt from the parameters.
    today = date.today()  # noqa: DTZ011 - a directory bucket, any clock will do
    return f"exports/{today:%Y/%m}/{uuid.uuid4().hex}.xlsx"


class ExportJob(models.Model):
    """One register export of one period for one user, written in the background."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being written")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        XLSX = "xlsx", _("Excel (XLSX)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("user"),
    )
    register_kind = models.CharField(_("register"), max_length=10)  # Register.Kind
    confidential = models.BooleanField(_("confidential register"), default=False)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    # The language of the request: the workbook's titles and headers are written in it.
    language = models.CharField(_("language"), max_length=10, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows in total"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to=export_job_path, max_length=200, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("register export")
        verbose_name_plural = _("register exports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="exportjob_user_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.register_kind} {self.date_from}..{self.date_to}"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)
