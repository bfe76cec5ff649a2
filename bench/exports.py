"""Register exports at 100,000 rows (issue 6): time and peak memory of each format.

    .venv/bin/python bench/exports.py [--rows 100000] [--var /tmp/eoffice-bench-exports]

Builds (once) a SQLite database under ``--var`` with one agency, one clerk and ``--rows``
incoming documents of one year with Vietnamese text, then exports the clerk's incoming
register for that year as CSV, XLSX and PDF, through the same functions the view uses,
at a tenth of the rows and at all of them, each in a fresh child process: the time, the
process's RSS before the export, and its peak RSS (``VmHWM``, which starts afresh with
each process, unlike ``ru_maxrss``, which survives ``exec``). With ``--tracemalloc`` each
export runs a second time under tracemalloc for the peak of Python allocations (five to
ten times slower). Flat memory means the 10% and 100% figures match.
Prints a Markdown table (for docs/PERFORMANCE.md, "Exports") and writes
bench/results/<date>-exports.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

SUMMARIES = [
    "V/v báo cáo tình hình thực hiện dự toán ngân sách nhà nước quý IV năm 2025",
    "Về việc triển khai Kế hoạch cải cách hành chính và chuyển đổi số năm 2026",
    "V/v đôn đốc thu hồi nợ đọng thuế và rà soát các khoản thu ngân sách địa phương",
    "Về việc tổ chức Hội nghị tổng kết công tác phòng, chống thiên tai và tìm kiếm cứu nạn",
]
SENDERS = ["Sở Tài chính", "Ủy ban nhân dân tỉnh Điện Biên", "Bộ Nội vụ", "Sở Kế hoạch và Đầu tư"]


def setup_django(var: Path) -> None:
    os.environ["EOFFICE_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eoffice.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


def build(rows: int) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from documents.models import Document, DocumentType, Register
    from documents.text import fold
    from eoffice.models import Agency, Role, User

    call_command("migrate", verbosity=0)
    if Document.objects.count() >= rows:
        return
    Agency.objects.get_or_create(
        short_code="UBND", defaults={"name": "Ủy ban nhân dân huyện Sơn Hà"}
    )
    clerk = User.objects.filter(username="bench-clerk").first() or User.objects.create_user(
        "bench-clerk", password=None, full_name="Đỗ Thị Văn Thư"
    )
    clerk.roles.set(Role.objects.filter(code="clerk"))
    register = Register.objects.get_or_create(
        kind="incoming", year=2025, is_confidential=False, defaults={"name": "Sổ đến 2025"}
    )[0]
    doc_type = DocumentType.objects.order_by("pk").first()
    start = datetime(2025, 1, 1, 1, 0, tzinfo=UTC)
    step = timedelta(days=364) / rows
    batch: list[Document] = []
    for n in range(1, rows + 1):
        summary = f"{SUMMARIES[n % 4]} (số {n})"
        sender = SENDERS[n % 4]
        batch.append(
            Document(
                direction="incoming",
                register=register,
                register_number=n,
                received_at=start + step * n,
                registered_by=clerk,
                sender_name=sender,
                sender_key=fold(sender),
                number_symbol=f"{n}/STC-QLNS",
                number_symbol_key=f"{n}/stc-qlns",
                issued_on=date(2025, 1, 1),
                doc_type=doc_type,
                summary=summary,
                search_text=fold(summary),
                state="registered",
                registered_at=timezone.now(),
            )
        )
        if len(batch) == 5000:
            Document.objects.bulk_create(batch)
            batch = []
    Document.objects.bulk_create(batch)


def rss_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise LookupError(field)


def run_one(fmt: str, fraction: float, traced: bool) -> dict:
    """One export in this process; the caller runs each in a fresh child."""
    from documents.exports import RegisterExport, iter_csv, iter_pdf, write_xlsx
    from eoffice.models import User

    clerk = User.objects.get(username="bench-clerk")
    last = date(2025, 1, 1) + timedelta(days=max(0, round(364 * fraction) - 1))
    export = RegisterExport("incoming", False, date(2025, 1, 1), last)
    # Warm up what every export loads once (the agency, translations, the font module).
    list(iter_csv(clerk, RegisterExport("incoming", False, date(2000, 1, 1), date(2000, 1, 1))))
    rss_before = rss_mb("VmRSS")
    if traced:
        tracemalloc.start()
    began = time.perf_counter()
    size = 0
    if fmt == "xlsx":
        out = Path(os.environ["EOFFICE_VAR_DIR"]) / "bench-export.xlsx"
        with out.open("wb") as target:
            rows = write_xlsx(clerk, export, target)
        size = out.stat().st_size
    elif fmt == "job":
        # The background export of a large XLSX (documents.export_jobs), run in this
        # process: the job row, its progress updates, the stored file.
        from django.test.utils import override_settings

        from documents.export_jobs import start_export

        with override_settings(EOFFICE_EXPORT_RUNNER="inline"):
            job = start_export(clerk, export)
        assert job.state == job.State.DONE, job.error
        rows, size = job.rows_done, job.file.size
    else:
        rows = 0
        for chunk in (iter_csv if fmt == "csv" else iter_pdf)(clerk, export):
            size += len(chunk)
        rows = round(364 * fraction)  # not counted here
    elapsed = time.perf_counter() - began
    result = {"format": fmt, "fraction": fraction, "seconds": round(elapsed, 2), "bytes": size}
    if fmt in ("xlsx", "job"):
        result["rows"] = rows
    if traced:
        result["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    else:
        result["rss_before_mb"] = rss_before
        result["peak_rss_mb"] = rss_mb("VmHWM")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--var", default=str(ROOT / "var" / "bench-exports"))
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument(
        "--formats",
        default="csv,xlsx,pdf,job",
        help="job = an XLSX written as a background job (progress, stored file)",
    )
    parser.add_argument("--child", nargs=3, metavar=("FORMAT", "FRACTION", "TRACED"))
    args = parser.parse_args()
    var = Path(args.var)
    var.mkdir(parents=True, exist_ok=True)
    setup_django(var)
    if args.child:
        fmt, fraction, traced = args.child
        print(json.dumps(run_one(fmt, float(fraction), traced == "1")))
        return
    began = time.perf_counter()
    build(args.rows)
    print(f"database ready in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    results = []
    for fmt in args.formats.split(","):
        for fraction in (0.1, 1.0):
            merged: dict = {}
            for traced in ("0", "1") if args.tracemalloc else ("0",):
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--var",
                        str(var),
                        "--child",
                        fmt,
                        str(fraction),
                        traced,
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=1800,
                )
                merged |= json.loads(out.stdout.strip().splitlines()[-1])
                if traced == "1":
                    merged["seconds_traced"] = merged.pop("seconds")
                else:
                    merged["seconds_plain"] = merged["seconds"]
            merged["rows"] = round(args.rows * fraction)
            merged.pop("seconds", None)
            results.append(merged)
            print(json.dumps(merged), file=sys.stderr)
    print("| Format | Rows | Time | RSS before | Peak RSS | Peak Python allocations | Size |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        traced = f"{r['tracemalloc_peak_mb']} MB" if "tracemalloc_peak_mb" in r else "—"
        print(
            f"| {r['format'].upper()} | {r['rows']:,} | {r['seconds_plain']} s "
            f"| {r['rss_before_mb']} MB | {r['peak_rss_mb']} MB | {traced} "
            f"| {r['bytes'] / 2**20:.1f} MB |"
        )
    # A run of some formats only does not overwrite the day's full run.
    part = "" if args.formats == "csv,xlsx,pdf,job" else "-" + args.formats.replace(",", "-")
    out = BENCH_DIR / "results" / f"{date.today():%Y-%m-%d}-exports{part}.json"  # noqa: DTZ011
    out.write_text(json.dumps({"rows": args.rows, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
