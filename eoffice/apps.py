from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EofficeConfig(AppConfig):
    name = "eoffice"
    verbose_name = _("Organisation directory")
