from __future__ import annotations

from django.core.management.base import BaseCommand

from realtime.digest import send_notice_digests


class Command(BaseCommand):
    help = "E-mail each person who asked for it the notices they have not read (run daily)."

    def handle(self, *args, **options) -> None:
        run = send_notice_digests()
        self.stdout.write(f"digests sent: {run.emails} ({run.notices} notices)")
