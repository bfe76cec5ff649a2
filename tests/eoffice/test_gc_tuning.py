"""The server's garbage collector: what is loaded at start is frozen, young objects get a
larger generation (eoffice.gc_tuning, applied by the ASGI entry point)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from django.conf import settings

from eoffice.gc_tuning import GC_THRESHOLDS


def test_the_asgi_entry_point_freezes_what_it_loaded_and_widens_the_young_generation():
    # In a fresh interpreter, as daphne loads it.
    script = textwrap.dedent(
        """
        import gc, json
        before = gc.get_threshold()
        import eoffice.asgi
        from django.urls import get_resolver
        print(json.dumps({
            "before": before,
            "after": gc.get_threshold(),
            "frozen": gc.get_freeze_count(),
            "tracked": len(gc.get_objects()),
            "urls_loaded": "url_patterns" in vars(get_resolver()),
        }))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "eoffice.settings", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    facts = json.loads(out.stdout.strip().splitlines()[-1])
    assert facts["before"] == [700, 10, 10]  # CPython's defaults
    assert tuple(facts["after"]) == GC_THRESHOLDS
    assert facts["urls_loaded"]  # loaded before the freeze, so frozen with the rest
    # Nearly everything loaded is frozen: a full collection walks only what came after.
    assert facts["frozen"] > 50_000
    assert facts["tracked"] < facts["frozen"] / 10
