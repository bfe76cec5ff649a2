from __future__ import annotations

from django.urls import path

from routing.views import (
    dashboard,
    device_signing,
    incoming,
    outgoing_document,
    outgoing_lists,
    outgoing_side_pages,
    reports,
    todo,
)

urlpatterns = [
    path("", todo.home, name="home"),
    path("incoming/", incoming.incoming_list, name="incoming-list"),
    path("incoming/<int:pk>/", incoming.incoming_detail, name="incoming-detail"),
    path("incoming/<int:pk>/slip/", incoming.handling_slip, name="incoming-slip"),
    path("incoming/<int:pk>/history/", incoming.incoming_history, name="incoming-history"),
    path("incoming/<int:pk>/<slug:action>/", incoming.incoming_action, name="incoming-action"),
    path("reports/", dashboard.dashboard, name="dashboard"),
    path("reports/overdue/", reports.overdue_list, name="overdue-list"),
    path("reports/overdue/<int:pk>/remind/", reports.overdue_remind, name="overdue-remind"),
    # outgoing lists (before the document pages: "recipients" is not an action)
    path("outgoing/", outgoing_lists.outgoing_list, name="outgoing-list"),
    path("outgoing/print/", outgoing_lists.outgoing_register_print, name="outgoing-register-print"),
    path("outgoing/drafts/", outgoing_lists.draft_list, name="draft-list"),
    path("outgoing/issue-queue/", outgoing_lists.issue_queue, name="issue-queue"),
    path(
        "outgoing/reservations/",
        outgoing_side_pages.number_reservations,
        name="number-reservations",
    ),
    path(
        "outgoing/<int:pk>/recipients/",
        outgoing_lists.recipients_block,
        name="outgoing-recipients-block",
    ),
    path("account/absence/", outgoing_side_pages.absence, name="absence"),
    # end of outgoing lists
    # outgoing document pages
    path("outgoing/new/", outgoing_document.draft_create, name="draft-create"),
    path("outgoing/<int:pk>/", outgoing_document.outgoing_detail, name="outgoing-detail"),
    path("outgoing/<int:pk>/edit/", outgoing_document.draft_edit, name="draft-edit"),
    path("outgoing/<int:pk>/history/", outgoing_document.outgoing_history, name="outgoing-history"),
    path(
        "outgoing/<int:pk>/device-signature/",
        device_signing.device_signature,
        name="device-signature",
    ),
    path(
        "outgoing/<int:pk>/<slug:action>/",
        outgoing_document.outgoing_action,
        name="outgoing-action",
    ),
    # end of outgoing document pages
]
