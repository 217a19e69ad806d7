from pathlib import Path
from typing import Any

from django.utils import timezone

from citizens.import_file import check_citizen_reports
from citizens.services import citizen_reports_import
from projectoffice.file_commands import FileImportCommand


class Command(FileImportCommand):
    help = (
        "Load an existing citizen register (CSV in UTF-8 or XLSX; columns agency,region,received_on,channel,"
        "offence,status,decided_on,decision_no,reward,amount_kzt,awarded_on,law_enforcement_staff,iin,"
        "full_name,phone). Every row is checked first; one bad row and nothing is written."
    )

    def handle(self, *args: Any, file: Path, dry_run: bool, **options: Any) -> None:
        self.existing(file)
        result = check_citizen_reports(file, filename=file.name, today=timezone.localdate())
        if result.errors:
            raise self.refuse(file, result.errors)
        if dry_run:
            self.stdout.write(f"{file.name}: {len(result.rows)} reports checked (dry run: nothing written)")
            return
        written = citizen_reports_import(rows=result.rows)
        self.stdout.write(f"{file.name}: {written} reports added to the register")
