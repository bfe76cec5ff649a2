"""Large XLSX register exports as background jobs: progress, download, notices, access."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from documents import export_jobs, exports
from documents.export_jobs import start_export
from documents.exports import XLSX_HEADER_ROWS, RegisterExport, write_xlsx
from documents.models import ExportJob
from realtime.models import Notice
from realtime.push import user_group
from tests.builders import make_people, make_user, register

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
APRIL = RegisterExport("incoming", False, date(2026, 4, 1), date(2026, 4, 30))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def url(fmt: str = "xlsx") -> str:
    return reverse("register-export") + (
        f"?register=incoming&date_from=2026-04-01&date_to=2026-04-30&format={fmt}&download=1"
    )


def april_documents(clerk, count: int) -> list:
    return [
        register(
            clerk,
            files=0,
            received_at=datetime(2026, 4, 2 + i, 9, 0, tzinfo=HCM),
            sender_name=f"Sở Nội vụ {i}",
            summary=f"Văn bản thứ {i} về việc tổng kết công tác năm",
        )
        for i in range(count)
    ]


def content(response) -> bytes:
    # Read to the end: the test client then closes the file (closing it by hand would run
    # request_finished and close the test's database connection).
    return b"".join(response.streaming_content)


def rows_written(done: str, total: str) -> str:
    # The page's words in the test's language (Vietnamese: "Đã ghi 12.000 / 100.000 dòng").
    return _("%(done)s of %(total)s rows written") % {"done": done, "total": total}


def sheet_rows(data: bytes) -> list[tuple]:
    return [tuple(r) for r in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]


@pytest.fixture
def inline(settings):
    settings.EOFFICE_EXPORT_RUNNER = "inline"
    settings.EOFFICE_EXPORT_INLINE_ROWS = 2


@pytest.mark.django_db
def test_large_xlsx_becomes_a_job_whose_file_matches_the_direct_export(people, client_for, inline):
    april_documents(people.clerk, 3)
    client = client_for(people.clerk)
    response = client.get(url())
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("export-job", args=[job.pk])
    assert job.user == people.clerk and job.state == ExportJob.State.DONE
    assert job.rows_done == job.rows_total == 3
    assert job.file.name.startswith("exports/") and job.finished_at is not None

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "<progress" in page.text and 'value="100"' in page.text
    assert rows_written("3", "3") in page.text and 'role="status"' in page.text
    assert "hx-trigger" not in page.text  # finished: nothing to poll
    download_url = reverse("export-job-download", args=[job.pk])
    assert f'href="{download_url}"' in page.text and _("Download") in page.text

    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Type"] == XLSX
    assert download["Cache-Control"] == "private, no-store"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "so-van-ban-den_2026-04-01_2026-04-30.xlsx" in download["Content-Disposition"]
    direct = io.BytesIO()
    write_xlsx(people.clerk, APRIL, direct)
    rows, expected = sheet_rows(content(download)), sheet_rows(direct.getvalue())
    assert len(rows) == XLSX_HEADER_ROWS + 3
    for row, expected_row in zip(rows, expected, strict=True):
        for cell, expected_cell in zip(row, expected_row, strict=True):
            assert cell == expected_cell
    assert rows[XLSX_HEADER_ROWS][2] == "Sở Nội vụ 0"
    assert rows[-1][5].endswith("Văn bản thứ 2 về việc tổng kết công tác năm")

    # The register page lists the job with its download.
    listing = client.get(reverse("register-export"))
    assert _("Recent exports") in listing.text and download_url in listing.text


@pytest.mark.django_db
def test_progress_is_reported_every_n_rows_with_one_update_each(people, inline, monkeypatch):
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    april_documents(people.clerk, 5)
    seen: list[int] = []
    assert write_xlsx(people.clerk, APRIL, io.BytesIO(), progress=seen.append) == 5
    assert seen == [2, 4]
    with CaptureQueriesContext(connection) as captured:
        job = start_export(people.clerk, APRIL)
    progress_updates = [
        q["sql"]
        for q in captured
        if q["sql"].startswith("UPDATE") and "rows_done" in q["sql"] and "state" not in q["sql"]
    ]
    assert len(progress_updates) == 2  # after rows 2 and 4, not one per row
    assert job.state == ExportJob.State.DONE and job.rows_done == job.rows_total == 5


@pytest.mark.django_db
def test_small_xlsx_and_every_csv_download_at_once(people, client_for, inline):
    april_documents(people.clerk, 1)
    client = client_for(people.clerk)
    response = client.get(url())
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert len(sheet_rows(content(response))) == XLSX_HEADER_ROWS + 1
    april_documents(people.clerk, 2)
    assert client.get(url("csv")).status_code == 200  # streamed whatever its size
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_only_the_owner_sees_a_job_and_its_file(people, client_for, inline):
    april_documents(people.clerk, 3)
    job = start_export(people.clerk, APRIL)
    other_clerk = make_user("clerk2", "clerk", full_name="Ngô Văn Thư Hai")
    addresses = [
        reverse("export-job", args=[job.pk]),
        reverse("export-job-download", args=[job.pk]),
        reverse("export-job", args=[job.pk + 1000]),
    ]
    for user in (other_clerk, people.leader):
        client = client_for(user)
        for address in addresses:
            assert client.get(address).status_code == 404
            assert client.get(address, headers={"HX-Request": "true"}).status_code == 404
        assert (
            reverse("export-job-download", args=[job.pk])
            not in client.get(reverse("register-export")).text
        )
    for address in addresses:  # those who may not export at all
        assert client_for(people.specialist).get(address).status_code == 403
    with pytest.raises(PermissionDenied):
        start_export(people.specialist, APRIL)


@pytest.mark.django_db
def test_the_owner_gets_a_notice_that_opens_the_job(people, client_for, inline):
    april_documents(people.clerk, 3)
    job = start_export(people.clerk, APRIL)
    notice = Notice.objects.get(recipient=people.clerk)
    assert notice.kind == "export_ready" and notice.data == {"export_job_id": job.pk}
    assert not Notice.objects.exclude(recipient=people.clerk).exists()
    client = client_for(people.clerk)
    opened = client.post(reverse("notice-open", args=[notice.pk]))
    assert opened["Location"] == reverse("export-job", args=[job.pk])
    label = _("Your register export is ready to download")
    assert label in client.get(reverse("notice-list")).text


@pytest.mark.django_db
def test_a_failed_job_shows_its_error_and_tells_the_owner(people, client_for, inline, monkeypatch):
    april_documents(people.clerk, 3)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(export_jobs, "write_xlsx", broken)
    client = client_for(people.clerk)
    response = client.get(url())
    job = ExportJob.objects.get()
    assert job.state == ExportJob.State.FAILED and not job.file
    assert job.error == _(
        "The register could not be written. Export it again or choose a shorter period."
    )
    page = client.get(response["Location"])
    assert job.error in page.text and _("Export again") in page.text
    assert client.get(reverse("export-job-download", args=[job.pk])).status_code == 404
    assert Notice.objects.get(recipient=people.clerk).kind == "export_failed"


@pytest.mark.django_db
def test_a_running_job_is_polled_until_it_finishes(people, client_for):
    job = ExportJob.objects.create(
        user=people.clerk,
        register_kind="incoming",
        date_from=date(2026, 4, 1),
        date_to=date(2026, 4, 30),
        format="xlsx",
        state=ExportJob.State.RUNNING,
        rows_total=100_000,
        rows_done=12_000,
    )
    client = client_for(people.clerk)
    address = reverse("export-job", args=[job.pk])
    page = client.get(address)
    assert 'hx-trigger="every 2s"' in page.text and 'http-equiv="refresh"' in page.text
    assert rows_written("12.000", "100.000") in page.text and 'value="12"' in page.text
    assert _("Refresh") in page.text
    fragment = client.get(address, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert rows_written("12.000", "100.000") in fragment.text
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.DONE, rows_done=100_000)
    fragment = client.get(address, headers={"HX-Request": "true"})
    assert fragment.status_code == 286  # HTMX stops polling, and shows the download
    assert reverse("export-job-download", args=[job.pk]) in fragment.text


@pytest.mark.django_db
def test_jobs_left_by_a_dead_process_fail_and_old_files_go(
    people, client_for, inline, django_capture_on_commit_callbacks
):
    long_ago = timezone.now() - timedelta(hours=2)
    params = {
        "user": people.clerk,
        "register_kind": "incoming",
        "date_from": date(2026, 4, 1),
        "date_to": date(2026, 4, 30),
        "format": "xlsx",
    }
    stuck = ExportJob.objects.create(**params, state=ExportJob.State.RUNNING, created_at=long_ago)
    fresh = ExportJob.objects.create(**params, state=ExportJob.State.QUEUED)
    client_for(people.clerk).get(reverse("register-export"))
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.state == ExportJob.State.FAILED
    assert stuck.error == _("The export was interrupted; please export again.")
    assert fresh.state == ExportJob.State.QUEUED
    assert Notice.objects.get(recipient=people.clerk).kind == "export_failed"

    # The same export asked again while one is under way gives that job.
    assert start_export(people.clerk, APRIL).pk == fresh.pk

    old = ExportJob.objects.create(
        **{**params, "date_to": date(2026, 4, 29)},
        state=ExportJob.State.DONE,
        finished_at=timezone.now() - timedelta(days=8),
    )
    old.file.save("x.xlsx", ContentFile(b"old"), save=True)
    storage, name = old.file.storage, old.file.name
    assert storage.exists(name)
    kept = ExportJob.objects.create(
        **{**params, "date_to": date(2026, 4, 28)},
        state=ExportJob.State.DONE,
        finished_at=timezone.now() - timedelta(days=6),
    )
    # A new job deletes what finished over 7 days ago: rows at once, files after commit.
    with django_capture_on_commit_callbacks(execute=True):
        start_export(
            people.clerk, RegisterExport("outgoing", False, date(2026, 4, 1), date(2026, 4, 2))
        )
    assert not ExportJob.objects.filter(pk=old.pk).exists()
    assert ExportJob.objects.filter(pk=kept.pk).exists()
    assert not storage.exists(name)


async def _receive(layer, channel, seconds: float = 5.0) -> dict:
    # The runner pushes from its own thread: wait in short steps rather than one long wait.
    for _attempt in range(int(seconds / 0.05)):
        try:
            return await asyncio.wait_for(layer.receive(channel), 0.05)
        except TimeoutError:
            continue
    raise AssertionError("no push received")


@pytest.mark.django_db(transaction=True)
async def test_the_thread_runner_writes_in_the_background_and_pushes_a_notice(settings):
    settings.EOFFICE_EXPORT_RUNNER = "thread"
    settings.EOFFICE_EXPORT_INLINE_ROWS = 2
    people = await sync_to_async(make_people)()
    await sync_to_async(april_documents)(people.clerk, 3)
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(user_group(people.clerk.pk), channel)

    def request() -> int:
        client = Client()
        client.force_login(people.clerk)
        response = client.get(url())
        assert response.status_code == 302
        return ExportJob.objects.get().pk

    job_id = await sync_to_async(request)()

    def state() -> str:
        try:
            return ExportJob.objects.get(pk=job_id).state
        except OperationalError:  # SQLite's shared cache while the runner writes
            return "busy"

    for _attempt in range(200):
        if await sync_to_async(state)() in (ExportJob.State.DONE, ExportJob.State.FAILED):
            break
        await asyncio.sleep(0.025)
    job = await sync_to_async(ExportJob.objects.get)(pk=job_id)
    assert job.state == ExportJob.State.DONE and job.rows_done == job.rows_total == 3
    pushed = await _receive(layer, channel)
    notice = await sync_to_async(Notice.objects.get)(recipient=people.clerk)
    assert pushed["type"] == "notice" and pushed["kind"] == "export_ready"
    assert pushed["id"] == notice.pk
    await layer.group_discard(user_group(people.clerk.pk), channel)
