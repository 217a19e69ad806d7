"""Benchmark: exports of KPI values over the values bench/import_statistics.py left behind,
built by the same service the worker runs (no broker needed: the build is called here).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/projectoffice_bench \
        .venv/bin/python bench/export_values.py [--kpi crime.registered]

Builds one CSV and one XLSX export of every approved value of the KPI (or with --all, of
every value) as the project office sees them, and prints rows, time, file size and the
peak memory of the process next to its memory before the build (flat: the same peak
for 66,000 rows as for 1,000,000).
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "projectoffice.settings")
os.environ.setdefault("MEDIA_ROOT", str(Path(__file__).resolve().parents[1] / "var" / "bench" / "media"))

import django

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402

from agencies.roles import PROJECT_OFFICE_GROUP  # noqa: E402
from initiatives.models import Export  # noqa: E402
from initiatives.services.exports import export_build, export_request  # noqa: E402
from projectoffice.celery import app  # noqa: E402

# Builds are timed here, not run where they are asked for: queue them nowhere.
app.conf.task_always_eager = False
app.conf.broker_url = "memory://localhost/"  # a host named, or kombu warns on every task


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kpi", default="crime.registered")
    parser.add_argument("--all", action="store_true", help="every value, not one KPI's")
    parser.add_argument("--formats", default="csv,xlsx")
    args = parser.parse_args()
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    person, _ = User.objects.get_or_create(username="bench.office", defaults={"is_staff": True})
    person.groups.add(Group.objects.get(name=PROJECT_OFFICE_GROUP))
    for file_format in args.formats.split(","):
        filters = {} if args.all else {"kpi": args.kpi}
        export = export_request(caller=person, file_format=file_format, filters=filters)
        started = time.monotonic()
        export_build(export_id=export.pk)
        took = time.monotonic() - started
        export = Export.objects.get(pk=export.pk)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size_mb = export.file.size / 1e6 if export.file else 0
        print(
            f"{file_format}: {export.status}, {export.rows} rows in {took:.1f}s "
            f"({export.rows / took:,.0f} rows/s), {size_mb:.0f} MB; peak RSS so far {peak_mb:.0f} MB "
            f"({before_mb:.0f} MB before the build) {export.error}",
            flush=True,
        )


if __name__ == "__main__":
    main()
