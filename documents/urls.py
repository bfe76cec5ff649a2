from __future__ import annotations

from django.urls import path

from documents import export_views, views

urlpatterns = [
    path("incoming/new/", views.register_incoming_view, name="incoming-register"),
    path("incoming/new/duplicates/", views.duplicate_check, name="incoming-duplicates"),
    path(
        "documents/<int:pk>/files/<int:attachment_pk>/",
        views.download_attachment,
        name="attachment-download",
    ),
    path("reports/registers/", export_views.register_export, name="register-export"),
    path("reports/registers/jobs/<int:pk>/", export_views.export_job, name="export-job"),
    path(
        "reports/registers/jobs/<int:pk>/download/",
        export_views.export_job_download,
        name="export-job-download",
    ),
]
