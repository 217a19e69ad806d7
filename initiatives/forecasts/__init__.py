"""The forecasting centre: coherent monthly forecasts of count KPIs across the region tree,
with ranges calibrated on the tracker's own errors, and their track record.

- `models.py`: `ForecastRun` (a run, and the job of one: a forecast at an origin, or a
  backtest over rolling origins), what a forecast run stores (`ForecastPoint`,
  `ForecastYearEnd`) and what a backtest stores (`BacktestScore`, `BacktestErrors`);
  re-exported by `initiatives.models`.
- `fitting.py`: the numerical core, arrays in and arrays out, no database: base models
  (statsforecast), reconciliation (hierarchicalforecast), the rolling-origin backtest,
  conformal ranges. Imported only by the jobs below, so by tasks and commands, never on
  a web request (a test checks).
- `series.py`: a KPI's region tree and the monthly series of each node as committed at a
  moment (the engine's figures, as the summary reports them).
- `jobs.py`: a run's job: read the series, fit, calibrate, store (`forecast_job_run`),
  and asking for runs (`forecast_runs_request`).
- `selectors.py`: stored runs as the API and pages read them.
- `admin.py`: the runs, with their progress and why one failed.

Entry points stay where Django and Celery look for them: the commands `forecast` and
`backtest_forecasts`, the tasks in `initiatives/tasks.py`, the endpoint
`/api/v1/kpis/{code}/forecast/`.

Nothing is imported here, so importing a module of the package loads only that module.
"""
