"""A web request never loads a model library: the URLconf, the API's views and the
readers of stored runs import none of them (fitting happens in the forecast jobs only).
numpy is loaded by other dependencies already, so it is not asked about."""

import os
import subprocess
import sys
from pathlib import Path

MODEL_LIBRARIES = ("statsforecast", "hierarchicalforecast", "statsmodels", "pandas")

PROBE = """
import sys
import django
django.setup()
import projectoffice.urls
import initiatives.api.views
import initiatives.selectors.kpi_forecast
import initiatives.forecasts.selectors
from django.urls import get_resolver
get_resolver().url_patterns
print(" ".join(sorted(m for m in {names!r} if m in sys.modules)))
"""


def test_the_urlconf_and_the_api_views_load_no_model_library() -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "projectoffice.settings"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(names=MODEL_LIBRARIES)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == []


def test_the_probe_would_see_a_model_library_if_one_were_loaded() -> None:
    root = Path(__file__).resolve().parents[2]
    probe = PROBE.replace("import initiatives.api.views", "import initiatives.api.views\nimport pandas")
    done = subprocess.run(
        [sys.executable, "-c", probe.format(names=MODEL_LIBRARIES)],
        cwd=root,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "projectoffice.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.split() == ["pandas"], done.stderr[-2000:]
