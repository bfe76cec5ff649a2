from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from routing.reminders import send_deadline_reminders


class Command(BaseCommand):
    help = (
        "Send due-soon, due-today and overdue reminders for lead handlers and their heads. "
        "Safe to run often and concurrently: each reminder goes out once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--every",
            type=int,
            default=0,
            metavar="SECONDS",
            help="keep running, once every SECONDS (the demo uses this)",
        )

    def handle(self, *args, **options) -> None:
        while True:
            run = send_deadline_reminders()
            self.stdout.write(f"reminders sent: {run.sent}, already sent: {run.skipped}")
            if not options["every"]:
                return
            time.sleep(options["every"])
