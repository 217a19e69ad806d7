"""The legal-statistics import, all of it: a file of official figures in, checked whole,
written whole or not at all; and the pre-filled template a person fills in for it.

- `models.py`: `ImportBatch` (the record of each file sent in, and the job of one pushed
  through the API) and `ImportStatus`; re-exported by `initiatives.models`.
- `staging.py`: streams a file (CSV or XLSX) into the staging table, its columns.
- `file.py`: checks every staged row by set-based SQL; `parse_value`, the reading of a
  figure, which the catalogue's spreadsheet import shares.
- `services.py`: `statistics_import`, the write (values approved as they land, history kept).
- `jobs.py`: a file pushed through `/api/v1/imports/` or the admin's upload page, kept and
  imported by a worker (`import_job_submit`, `import_job_run`, its progress and problems
  for the caller); a dry run's kept file imported on confirmation (`import_job_confirm`).
- `template.py`: the pre-filled template as an XLSX; `selectors.py` reads what it holds
  (`statistics_template_read`).
- `admin.py`: the admin's imports list, its "pre-filled template" page, and its upload
  page: the project office sends a file, reads its check (`<id>/check/`) and confirms it.

Entry points stay where Django and Celery look for them, thin, and under their names:
the commands `import_statistics` and `statistics_template`
(`initiatives/management/commands/`), the tasks `run_statistics_import` and
`resume_import_jobs` (`initiatives/tasks.py`), the endpoint `/api/v1/imports/`
(`initiatives/api/`).

Nothing is imported here, so importing a module of the package (as `initiatives.models`
does) loads only that module.
"""
