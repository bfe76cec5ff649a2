from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from routing.holidays import load_holidays


class Command(BaseCommand):
    help = "Add a year's Vietnamese public holidays to the working calendar (default: this year)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", type=int, default=None)

    def handle(self, *args, **options) -> None:
        year = options["year"] or timezone.localdate().year
        created = load_holidays(year)
        self.stdout.write(
            f"{created} holiday(s) added for {year}; check them in the admin "
            "against the Government's notice (lunar holidays move every year)."
        )
