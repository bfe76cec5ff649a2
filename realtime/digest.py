"""The daily e-mail of unread notices, for people who asked for it.

Each notice goes into one e-mail at most: the rows are locked (skipping rows another run
holds) and stamped in the same transaction as the sending; if sending fails, the stamps
roll back and the next run tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from eoffice.models import User
from realtime.models import Notice

logger = logging.getLogger(__name__)
DIGEST_LIMIT = 200


@dataclass
class DigestRun:
    emails: int = 0
    notices: int = 0


def send_notice_digests() -> DigestRun:
    run = DigestRun()
    people = User.objects.filter(is_active=True, email_notices=True).exclude(email="")
    for user in people.iterator():
        with transaction.atomic():
            ids = list(
                Notice.objects.select_for_update(skip_locked=True)
                .filter(recipient=user, read_at__isnull=True, emailed_at__isnull=True)
                .order_by("seq")
                .values_list("pk", flat=True)[:DIGEST_LIMIT]
            )
            if not ids:
                continue
            Notice.objects.filter(pk__in=ids).update(emailed_at=timezone.now())
            notices = list(
                Notice.objects.filter(pk__in=ids)
                .select_related("document__doc_type", "actor")
                .order_by("seq")
            )
            with translation.override(settings.LANGUAGE_CODE):
                context = {"user": user, "notices": notices, "base_url": settings.EOFFICE_BASE_URL}
                send_mail(
                    subject=_("eoffice: %(count)s unread notices") % {"count": len(notices)},
                    message=render_to_string("realtime/digest_email.txt", context),
                    from_email=None,
                    recipient_list=[user.email],
                )
        run.emails += 1
        run.notices += len(ids)
    return run
