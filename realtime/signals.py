"""Open websockets follow the session: closed at logout and when an account is deactivated.

A finished background register export tells its owner with a notice (documents, below
realtime, announces it with a signal rather than importing realtime).
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from documents.export_jobs import export_job_finished
from documents.export_models import ExportJob
from eoffice.models import User
from realtime.kinds import NoticeKind
from realtime.services import close_session_sockets, close_user_sockets, notify


@receiver(user_logged_out)
def close_sockets_of_session(sender, request, user, **kwargs) -> None:
    if request is not None and request.session.session_key:
        close_session_sockets(request.session.session_key)


@receiver(post_save, sender=User)
def close_sockets_of_deactivated_user(sender, instance: User, **kwargs) -> None:
    if not instance.is_active:
        user_id = instance.pk
        transaction.on_commit(lambda: close_user_sockets(user_id), robust=True)


@receiver(export_job_finished)
def notify_export_owner(sender, job: ExportJob, **kwargs) -> None:
    """A background register export is done or failed: tell its owner (ids only)."""
    kind: NoticeKind = "export_ready" if job.state == ExportJob.State.DONE else "export_failed"
    # A savepoint of its own: a notice that cannot be stored must not undo the job's state.
    with transaction.atomic():
        notify([job.user], kind, export_job_id=job.pk)
