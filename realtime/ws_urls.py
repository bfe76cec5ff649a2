"""Websocket URL patterns (named so as not to be confused with the routing app)."""

from __future__ import annotations

from django.urls import path

from realtime.consumers import NoticeConsumer

websocket_urlpatterns = [
    path("ws/", NoticeConsumer.as_asgi()),
]
