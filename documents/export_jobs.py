"""XLSX register exports too large for a request, written in the background (issue 6).

openpyxl writes the workbook's zip only at the end, so a large XLSX cannot be streamed
while it is written; at 100,000 rows it takes longer than a proxy waits. Such an export
becomes an ``ExportJob``: ``start_export`` stores it and, once the caller's transaction
commits, hands it to the runner chosen by ``EOFFICE_EXPORT_RUNNER``: "thread" (a daemon
thread of this process) or "inline" (at once, in the calling thread: tests).

The runner claims the job with a conditional UPDATE (a job runs once), writes the rows the
owner may see with ``write_xlsx`` into a temporary file, reporting progress with one
UPDATE per ``PROGRESS_EVERY`` rows, stores the file under the private media root and marks
the job done. Done or failed, the owner is told through ``export_job_finished``, which
``realtime`` turns into a notice (documents sits below realtime and may not import it).

A process that dies leaves its jobs queued or running: after ``STALE_AFTER`` they are
failed as interrupted. Files are kept ``KEEP_FOR`` and deleted, with their rows, when a
new job starts.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import connection, transaction
from django.dispatch import Signal
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from documents.export_models import ExportJob
from documents.exports import (
    ExportFormat,
    RegisterExport,
    can_export_registers,
    register_documents,
    write_xlsx,
)
from eoffice.models import User

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=1)
KEEP_FOR = timedelta(days=7)
RECENT_JOBS = 10
ACTIVE_STATES = (ExportJob.State.QUEUED, ExportJob.State.RUNNING)

# Sent inside the transaction that finishes a job (done or failed), with ``job``: the
# receiver's notice is stored with the job's new state and pushed after commit.
export_job_finished = Signal()


# --- reads ---------------------------------------------------------------------------------


def get_job_export(job: ExportJob) -> RegisterExport:
    return RegisterExport(
        kind=job.register_kind,
        confidential=job.confidential,
        date_from=job.date_from,
        date_to=job.date_to,
    )


def is_large_export(user: User, export: RegisterExport) -> bool:
    """More rows than ``EOFFICE_EXPORT_INLINE_ROWS``? Counts the rows ``write_xlsx`` writes,
    stopping one past the limit rather than counting a whole register."""
    limit = settings.EOFFICE_EXPORT_INLINE_ROWS
    rows = register_documents(user, export).order_by().values("pk")[: limit + 1]
    return rows.count() > limit


def list_recent_export_jobs(user: User) -> list[ExportJob]:
    return list(ExportJob.objects.filter(user=user).order_by("-created_at", "-pk")[:RECENT_JOBS])


def get_export_job_for_user(user: User, pk: int) -> ExportJob:
    """The user's own job; 404 alike for another's job and for none."""
    try:
        return ExportJob.objects.get(pk=pk, user=user)
    except ExportJob.DoesNotExist as exc:
        raise Http404 from exc


# --- starting and running --------------------------------------------------------------------


def start_export(user: User, export: RegisterExport, fmt: str = ExportFormat.XLSX) -> ExportJob:
    """Store a job for ``export`` and run it once the caller's transaction commits.

    Refused (PermissionDenied) to those who may not export registers. The same export
    asked again while it is still being written gives the job already under way. Old
    finished jobs and their files are deleted first, and jobs left behind by a dead
    process are failed.
    """
    if not can_export_registers(user):
        raise PermissionDenied
    if fmt != ExportFormat.XLSX:
        raise ValueError(f"only XLSX exports run in the background, not {fmt!r}")
    fail_interrupted_jobs()
    delete_expired_exports()
    params = {
        "user": user,
        "register_kind": export.kind,
        "confidential": export.confidential,
        "date_from": export.date_from,
        "date_to": export.date_to,
        "format": fmt,
    }
    with transaction.atomic():
        under_way = (
            ExportJob.objects.filter(
                **params, state__in=ACTIVE_STATES, created_at__gte=timezone.now() - STALE_AFTER
            )
            .order_by("-created_at")
            .first()
        )
        if under_way is not None:
            return under_way
        job = ExportJob.objects.create(
            **params, language=translation.get_language() or settings.LANGUAGE_CODE
        )
        if settings.EOFFICE_EXPORT_RUNNER != "inline":
            job_id = job.pk
            transaction.on_commit(lambda: _start_thread(job_id))
    if settings.EOFFICE_EXPORT_RUNNER == "inline":
        run_export_job(job.pk)
        job.refresh_from_db()
    return job


def _start_thread(job_id: int) -> None:
    threading.Thread(
        target=_run_in_thread, args=(job_id,), name=f"export-job-{job_id}", daemon=True
    ).start()


def _run_in_thread(job_id: int) -> None:
    try:
        run_export_job(job_id)
    except Exception:  # the runner fails its job itself; this is the last resort
        logger.exception("export job %s: runner crashed", job_id)
    finally:
        # A thread of its own has a connection of its own: nothing else would close it.
        connection.close()


def run_export_job(job_id: int) -> None:
    """Write a queued job's workbook; a job already claimed (or gone) is left alone."""
    if not ExportJob.objects.filter(pk=job_id, state=ExportJob.State.QUEUED).update(
        state=ExportJob.State.RUNNING
    ):
        return
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            name, count = _write(job)
        except Exception:
            logger.exception("export job %s failed", job_id)
            _fail(
                job_id,
                _("The register could not be written. Export it again or choose a shorter period."),
            )
            return
        with transaction.atomic():
            done = ExportJob.objects.filter(pk=job_id, state=ExportJob.State.RUNNING).update(
                state=ExportJob.State.DONE,
                file=name,
                rows_done=count,
                rows_total=count,
                finished_at=timezone.now(),
            )
            if done:
                job.refresh_from_db()
                _tell_owner(job)
        if not done:  # failed as interrupted meanwhile: nobody will ask for the file
            job.file.storage.delete(name)


def _write(job: ExportJob) -> tuple[str, int]:
    """The workbook, stored under a generated name; returns the name and the row count."""
    user = job.user
    if not can_export_registers(user):
        raise PermissionDenied
    export = get_job_export(job)
    total = register_documents(user, export).order_by().count()
    ExportJob.objects.filter(pk=job.pk).update(rows_total=total)

    def progress(rows_done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(rows_done=rows_done)

    with tempfile.TemporaryFile() as spool:
        count = write_xlsx(user, export, spool, progress=progress)
        spool.seek(0)
        field = job.file.field
        name = field.generate_filename(job, export.filename(job.format))
        name = field.storage.save(name, File(spool), max_length=field.max_length)
    return name, count


def _fail(job_id: int, error: str) -> bool:
    """Mark a job failed unless it already finished; the owner is told once."""
    with transaction.atomic():
        failed = ExportJob.objects.filter(pk=job_id, state__in=ACTIVE_STATES).update(
            state=ExportJob.State.FAILED, error=error[:500], finished_at=timezone.now()
        )
        if failed:
            _tell_owner(ExportJob.objects.select_related("user").get(pk=job_id))
    return bool(failed)


def _tell_owner(job: ExportJob) -> None:
    # A notice that cannot be stored must not undo the job's state: its receiver's
    # savepoint rolls back alone, and the owner still sees the state on the job's page.
    for receiver, result in export_job_finished.send_robust(sender=ExportJob, job=job):
        if isinstance(result, Exception):
            logger.error("export job %s: %r failed", job.pk, receiver, exc_info=result)


# --- housekeeping ----------------------------------------------------------------------------


def fail_interrupted_jobs() -> int:
    """Fail the jobs queued or running for longer than ``STALE_AFTER``: the process that
    ran them is gone (a running job of 100,000 rows takes a minute or two). Returns how
    many were failed."""
    stale = ExportJob.objects.filter(
        state__in=ACTIVE_STATES, created_at__lt=timezone.now() - STALE_AFTER
    ).values_list("pk", "language")
    failed = 0
    for job_id, language in list(stale):
        with translation.override(language or settings.LANGUAGE_CODE):
            failed += _fail(job_id, _("The export was interrupted; please export again."))
    return failed


def delete_expired_exports() -> int:
    """Delete the jobs finished more than ``KEEP_FOR`` ago, files included (after commit)."""
    expired = ExportJob.objects.filter(finished_at__lt=timezone.now() - KEEP_FOR)
    rows = list(expired.values_list("pk", "file"))
    if not rows:
        return 0
    storage = ExportJob._meta.get_field("file").storage
    names = [name for _pk, name in rows if name]

    def delete_files() -> None:
        for name in names:
            storage.delete(name)

    with transaction.atomic():
        ExportJob.objects.filter(pk__in=[pk for pk, _name in rows]).delete()
        transaction.on_commit(delete_files, robust=True)
    return len(rows)
