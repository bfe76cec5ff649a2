from __future__ import annotations

from django.core.management.base import BaseCommand

from routing.demo import DEMO_PASSWORD, demo_logins, load_demo
from routing.demo_outgoing import WALKTHROUGH


class Command(BaseCommand):
    help = "Create the demo agency (a fictional district People's Committee) unless one exists."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--documents", type=int, default=300)
        parser.add_argument("--days", type=int, default=150)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--outgoing", type=int, default=70)

    def handle(self, *args, **options) -> None:
        created = load_demo(
            documents=options["documents"],
            days=options["days"],
            seed=options["seed"],
            outgoing=options["outgoing"],
        )
        if created:
            self.stdout.write(self.style.SUCCESS("Demo agency created."))
        else:
            self.stdout.write("An agency already exists: demo data left as it is.")
        self.stdout.write(f"\nDemo log-ins (password for all: {DEMO_PASSWORD}):")
        for login, name, where in demo_logins():
            self.stdout.write(f"  {login:<12} {name:<22} {where}")
        self.stdout.write("")
        for line in WALKTHROUGH:
            self.stdout.write(line)
