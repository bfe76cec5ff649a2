from __future__ import annotations

from django.urls import path

from realtime import views

urlpatterns = [
    path("notices/", views.notice_list, name="notice-list"),
    path("notices/read-all/", views.mark_all_read, name="notice-read-all"),
    path("notices/unread/", views.unread_count, name="notice-unread"),
    path("notices/<int:pk>/", views.open_notice, name="notice-open"),
    path("notices/<int:pk>/toast/", views.notice_toast, name="notice-toast"),
]
