"""The garbage collector of a server process that holds thousands of websockets.

CPython's full collection walks every object it tracks. A daphne process holding 5,000
sockets tracks about a million, and each full collection paused it for 0.4-0.9 s, several
times a minute while sockets connected or an announcement went out (bench, issue 5):
every notice and every page served by that process waited meanwhile, and each found
nothing to free. Two settings, applied once the application is loaded:

- the objects built at start (Django, the apps, URL and template caches: ~170,000) are
  frozen (``gc.freeze``): they live as long as the process, and no collection walks them
  again;
- the youngest generation is larger (``GC_THRESHOLDS``): the objects of a request or a
  frame die before a collection sees them, instead of being promoted to the older
  generations, whose growth is what starts a full collection.
"""

from __future__ import annotations

import gc

# Allocations before a young collection (CPython's default 700), then young collections
# before a middle one and middle ones before a full one (defaults 10 and 10).
GC_THRESHOLDS = (50_000, 20, 10)


def tune_for_long_lived_connections() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
