"""One queue per kind of work: every task has its queue, a worker started without
`--queues` (`make worker`) consumes them all, and one per queue is one flag away."""

from projectoffice.celery import app

QUEUES = {"imports", "exports", "notices", "rollups", "forecasts"}


def queue_of(task: str) -> str:
    return str(app.amqp.router.route({}, task)["queue"].name)


def test_every_task_is_routed_to_one_of_the_four_queues() -> None:
    app.loader.import_default_modules()
    tasks = sorted(name for name in app.tasks if name.startswith("initiatives."))
    assert len(tasks) == 20
    assert {task: queue_of(task) for task in tasks} == {
        "initiatives.tasks.backtest_week": "forecasts",
        "initiatives.tasks.build_export": "exports",
        "initiatives.tasks.check_rollups": "rollups",
        "initiatives.tasks.checkpoint_rollups_if_due": "rollups",
        "initiatives.tasks.delete_expired_exports": "notices",
        "initiatives.tasks.deliver_notice": "notices",
        "initiatives.tasks.deliver_pending_notices": "notices",
        "initiatives.tasks.forecast_after_import": "forecasts",
        "initiatives.tasks.forecast_month": "forecasts",
        "initiatives.tasks.refresh_campaign_impacts": "forecasts",
        "initiatives.tasks.refresh_rollups": "rollups",
        "initiatives.tasks.resume_import_jobs": "notices",
        "initiatives.tasks.run_forecast": "forecasts",
        "initiatives.tasks.run_detection": "forecasts",
        "initiatives.tasks.detect_after_import": "forecasts",
        "initiatives.tasks.run_statistics_import": "imports",
        "initiatives.tasks.send_reminders": "notices",
        "initiatives.tasks.sweep_rollup_checkpoints": "rollups",
        "initiatives.tasks.take_over_jobs": "notices",
        "initiatives.tasks.take_rollup_checkpoint": "rollups",
    }
    assert queue_of("celery.chord_unlock") == "notices"  # Celery's own land where a worker listens


def test_a_worker_without_queues_named_consumes_all_five() -> None:
    assert set(app.amqp.queues) == QUEUES
