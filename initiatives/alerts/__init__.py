"""Early warning: each month of every monthly count KPI, by region and district, tested
against what its own past makes expected, within a false-alarm budget (docs/early-warning.md).

- `models.py`: `DetectionRun` (a month's detection, and the job of one) and `Alert` (one
  per KPI, region, month and kind, updated in place, withdrawn never deleted); re-exported
  by `initiatives.models`.
- `detection.py`: the numerical core, arrays in and arrays out, no database: the
  Farrington-style quasi-Poisson GLM (statsmodels), the predictive negative binomial, the
  thresholds of the budget. Imported only by the job, never on a web request.
- `jobs.py`: a run's job: read the series, test each, store the alerts, send the digest
  (`detection_job_run`), and asking for runs (`detection_request`).
- `selectors.py`: alerts as the pages and the API read them, within the reader's regions.
- `services.py`: the office's review of an alert.
- `digest.py`: the e-mail after a run that raised alerts, per person, in their language.
- `admin.py`: the runs and the alerts.

Entry points stay where Django and Celery look for them: the command `detect_rises`, the
task `detect_rises` in `initiatives/tasks.py`, `/dashboard/alerts/` and `/api/v1/alerts/`.
"""
