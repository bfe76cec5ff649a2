from __future__ import annotations

from django.urls import path

from realtime import messaging_views, preferences, views

urlpatterns = [
    path("notices/", views.notice_list, name="notice-list"),
    path("notices/read-all/", views.mark_all_read, name="notice-read-all"),
    path("notices/unread/", views.unread_count, name="notice-unread"),
    path("notices/settings/", preferences.notice_settings, name="notice-settings"),
    path("notices/<int:pk>/", views.open_notice, name="notice-open"),
    path("notices/<int:pk>/toast/", views.notice_toast, name="notice-toast"),
    path("messages/", messaging_views.conversation_list, name="conversation-list"),
    path("messages/new/", messaging_views.start_direct, name="conversation-new"),
    path("messages/new-group/", messaging_views.create_group, name="conversation-new-group"),
    path("messages/search/", messaging_views.search, name="message-search"),
    path("messages/<int:pk>/", messaging_views.conversation_detail, name="conversation-detail"),
    path("messages/<int:pk>/post/", messaging_views.post_message, name="message-post"),
    path("messages/<int:pk>/read/", messaging_views.mark_read, name="conversation-read"),
    path("messages/<int:pk>/members/", messaging_views.add_members, name="conversation-members"),
    path(
        "messages/<int:pk>/m/<int:message_pk>/",
        messaging_views.message_fragment,
        name="message-fragment",
    ),
    path(
        "messages/<int:pk>/files/<int:attachment_pk>/",
        messaging_views.download_attachment,
        name="message-attachment",
    ),
]
