from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from documents.permissions import forget_permission_ids

        # A flush (tests) or a migrate recreates permissions: a cached id would be stale.
        post_migrate.connect(forget_permission_ids, dispatch_uid="documents.forget_perm_ids")
