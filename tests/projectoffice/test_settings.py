"""Settings are read in a fresh interpreter each time: they are evaluated once per process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'cache': s.CACHES['default']['BACKEND'], "
    "'cache_at': s.CACHES['default'].get('LOCATION'), "
    "'broker': s.CELERY_BROKER_URL, 'eager': s.CELERY_TASK_ALWAYS_EAGER, 'debug': s.DEBUG, "
    "'tz': s.TIME_ZONE, 'languages': [c for c, _ in s.LANGUAGES]}))"
)
NO_ENV_FILE = ROOT / "var" / "no-such.env"
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x7#Qm2!vL9pZ@r4Tk8&wN1sB6^yH3cJ0dF5gU-eA_iO+lP=zX-9kR2mT7qW4",
    "ALLOWED_HOSTS": "tracker.example.kz",
    "SITE_URL": "https://tracker.example.kz",
    "DATABASE_URL": "postgres://tracker@127.0.0.1:5432/tracker",
    "CITIZENS_DATA_KEYS": "Zm9yLXRlc3RzLW9ubHktYS1mZXJuZXQta2V5LTMyYnk=",
    "CITIZENS_HASH_KEY": "for-tests-only-a-hash-key",
}


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ENV", "DATABASE_URL", "REDIS_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    base["DJANGO_SETTINGS_MODULE"] = "projectoffice.settings"
    base["ENV_FILE"] = str(NO_ENV_FILE)  # a developer's own .env never changes what these tests see
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60
    )


def settings_under(env: dict[str, str]) -> dict[str, object]:
    result = run_python(PRINT_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_development_defaults_to_sqlite_debug_and_in_process_tasks() -> None:
    got = settings_under({})
    assert got["engine"] == "django.db.backends.sqlite3"
    assert got["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert got["eager"] is True
    assert got["debug"] is True
    assert got["tz"] == "Asia/Almaty"
    assert got["languages"] == ["kk", "ru", "en"]


def test_env_example_copied_to_env_sets_the_development_defaults() -> None:
    """`.env.example` leaves most values empty; copied to `.env` they must read as unset."""
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "from django.utils.module_loading import import_string; import_string(s.EMAIL_BACKEND); "
        "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']), "
        "'email': s.EMAIL_BACKEND, 'email_host': s.EMAIL_HOST, 'from': s.DEFAULT_FROM_EMAIL, "
        "'media': str(s.MEDIA_ROOT), 'hosts': s.ALLOWED_HOSTS, 'site': s.SITE_URL, 'secret': s.SECRET_KEY, "
        "'cache': s.CACHES['default']['BACKEND'], 'broker': s.CELERY_BROKER_URL, 'debug': s.DEBUG}))"
    )
    copied = run_python(code, {"ENV_FILE": str(ROOT / ".env.example")})
    assert copied.returncode == 0, copied.stderr
    unset = run_python(code, {})
    assert unset.returncode == 0, unset.stderr
    got = json.loads(copied.stdout.strip().splitlines()[-1])
    assert got == json.loads(unset.stdout.strip().splitlines()[-1])
    assert got["engine"] == "django.db.backends.sqlite3"
    assert got["name"] == str(ROOT / "db.sqlite3")
    assert got["media"] == str(ROOT / "var" / "media")


def test_database_url_selects_postgresql_and_redis_url_the_broker_and_cache() -> None:
    got = settings_under({"DATABASE_URL": "postgres://u@127.0.0.1:5432/d", "REDIS_URL": "redis://127.0.0.1:6379/3"})
    assert got["engine"] == "django.db.backends.postgresql"
    assert got["cache"] == "projectoffice.cache.ForgivingRedisCache"
    assert got["broker"] == "redis://127.0.0.1:6379/3"
    assert got["cache_at"] == "redis://127.0.0.1:6379/4"  # clearing the cache never drops queued tasks
    assert got["eager"] is False


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DATABASE_URL", "CITIZENS_DATA_KEYS", "CITIZENS_HASH_KEY"]
)
def test_production_refuses_to_start_without_a_required_value(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert f"{missing} must be set when DJANGO_ENV=production" in result.stderr


def test_production_refuses_debug() -> None:
    result = run_python("import django; django.setup()", {**PRODUCTION_ENV, "DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_an_unknown_mode_is_refused_by_name() -> None:
    result = run_python("import django; django.setup()", {"DJANGO_ENV": "prod"})
    assert result.returncode != 0
    assert "DJANGO_ENV='prod' is not one of development, test, production" in result.stderr


def test_production_settings_pass_the_deployment_checklist() -> None:
    result = run_python(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_a_command_run_without_redis_prints_no_broker_noise() -> None:
    """Without REDIS_URL tasks run in the process; Celery still opens its in-memory broker
    connection, which must not warn on every command ("No hostname was supplied")."""
    result = run_python(
        "import django; django.setup(); from projectoffice.celery import app; "
        "conn = app.connection_for_write(); conn.info(); print('ok')",
        {},
    )
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr
    assert "No hostname" not in result.stderr, result.stderr


def test_the_proxies_trusted_for_the_clients_address_default_to_none_and_are_read_as_a_number() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.TRUSTED_PROXY_COUNT, s.AXES_CLIENT_IP_CALLABLE, s.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT)"
    )
    default = run_python(code, {})
    assert default.returncode == 0, default.stderr
    assert default.stdout.split() == ["0", "projectoffice.login_lockout.client_address", "False"]
    behind = run_python(code, {"TRUSTED_PROXY_COUNT": "1"})
    assert behind.stdout.split()[0] == "1"


@pytest.mark.parametrize("wrong", ["-1", "one", "1.5", "6"])
def test_a_wrong_number_of_trusted_proxies_is_refused_by_name(wrong: str) -> None:
    result = run_python("import django; django.setup()", {"TRUSTED_PROXY_COUNT": wrong})
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be a whole number from 0 to 5" in result.stderr


def test_the_citizen_registers_first_day_defaults_to_2020_and_is_read_as_a_date() -> None:
    code = "import django; django.setup(); from django.conf import settings as s; print(s.CITIZENS_REGISTER_START)"
    default = run_python(code, {})
    assert default.returncode == 0, default.stderr
    assert default.stdout.strip() == "2020-01-01"
    assert run_python(code, {"CITIZENS_REGISTER_START": "2025-07-01"}).stdout.strip() == "2025-07-01"


@pytest.mark.parametrize("wrong", ["1899-12-31", "01.01.2020", "2020-13-01", "2020", "2020-W01-1"])
def test_a_wrong_first_day_of_the_citizen_register_is_refused_by_name(wrong: str) -> None:
    result = run_python("import django; django.setup()", {"CITIZENS_REGISTER_START": wrong})
    assert result.returncode != 0
    assert "CITIZENS_REGISTER_START must be a date written YYYY-MM-DD, from 1900-01-01 on" in result.stderr
