"""Websocket URL patterns (named so as not to be confused with the routing app)."""

from __future__ import annotations

websocket_urlpatterns: list = []
