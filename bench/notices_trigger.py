"""Bench-only trigger: an announcement to many users, as per-user notices.

The product has no action that notifies a whole audience (a direction naming a department
notifies its heads only), so the announcement scenario calls the product's own
``realtime.services.notify`` for the recipients inside a transaction, in a separate
process set up like daphne (same settings, database and channel layer): the notices are
written in the transaction and pushed on commit by ``realtime.push.send_to_groups``, exactly
as an action would.

    python bench/notices_trigger.py LEADER_PK      (commands on stdin, one JSON per line)

Command ``{"key": document_pk, "users": [pk, ...]}``; answer ``{"key", "t_start",
"t_stored", "t_end", "n"}`` (CLOCK_MONOTONIC): ``t_stored`` is before the commit,
``t_end`` after the commit and the push.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eoffice.settings")

import django

django.setup()

from django.db import transaction  # noqa: E402

from documents.models import Document  # noqa: E402
from eoffice.models import User  # noqa: E402
from realtime.services import notify  # noqa: E402


def main() -> None:
    leader = User.objects.get(pk=int(sys.argv[1]))
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        t_start = time.monotonic()
        document = Document.objects.get(pk=command["key"])
        users = list(User.objects.filter(pk__in=command["users"]))
        with transaction.atomic():
            notify(users, "reminder", document=document, actor=leader)
            t_stored = time.monotonic()
        t_end = time.monotonic()
        print(
            json.dumps(
                {
                    "key": command["key"],
                    "t_start": t_start,
                    "t_stored": t_stored,
                    "t_end": t_end,
                    "n": len(users),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
