"""ASGI entry point: HTTP through Django, websockets through Channels (realtime.ws_urls)."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eoffice.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402 - needs Django set up first
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from eoffice.gc_tuning import tune_for_long_lived_connections  # noqa: E402
from realtime.ws_urls import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# The URL configuration (and with it every view module) is loaded now, so that it is among
# the objects the collector stops walking (eoffice.gc_tuning).
get_resolver().url_patterns  # noqa: B018
tune_for_long_lived_connections()
