from __future__ import annotations

from django.urls import path

from routing.views import incoming, todo

urlpatterns = [
    path("", todo.home, name="home"),
    path("incoming/", incoming.incoming_list, name="incoming-list"),
    path("incoming/<int:pk>/", incoming.incoming_detail, name="incoming-detail"),
    path("incoming/<int:pk>/slip/", incoming.handling_slip, name="incoming-slip"),
    path("incoming/<int:pk>/history/", incoming.incoming_history, name="incoming-history"),
    path("incoming/<int:pk>/<slug:action>/", incoming.incoming_action, name="incoming-action"),
]
