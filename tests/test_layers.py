"""The layers, read from the code's own imports (also those inside functions).

Entry points (API, portal views, admin, management commands, Celery tasks) call services
(writes) and selectors (reads); those use the engine and the models; the shared kernel in
`projectoffice/` knows no app; `regions` knows no other app, `agencies` knows `regions`
only. Nothing imports a layer above its own, and no modules import each other in a circle
(a circle hidden by an import inside a function still breaks the layers, and makes the
order of imports matter).
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("projectoffice", "regions", "agencies", "initiatives", "citizens")

# From the bottom up. A module may import its own layer and those below it.
KERNEL, CORE, ENGINE, SELECTORS, SERVICES, ENTRY = range(6)
LAYER_NAMES = {
    KERNEL: "kernel",
    CORE: "core",
    ENGINE: "engine",
    SELECTORS: "selectors",
    SERVICES: "services",
    ENTRY: "entry point",
}

# The modules of `projectoffice/` that wire the apps together, and so may know them.
WIRING = {
    "projectoffice",  # starts the Celery app with Django, as Celery asks
    "projectoffice.settings",
    "projectoffice.urls",
    "projectoffice.api",
    "projectoffice.celery",
    "projectoffice.wsgi",
    "projectoffice.asgi",
}
# Entry points inside the apps, by the last parts of their names.
ENTRY_PARTS = {"api", "api_permissions", "admin", "apps", "schema", "tasks", "management", "migrations", "demo"}
ENTRY_MODULES = {
    "initiatives.portal.views",
    "initiatives.portal.dashboard_views",
    "initiatives.portal.public_views",
    "initiatives.portal.links",
    "initiatives.portal.forms",
    "initiatives.portal.urls",
    "citizens.portal.views",
    "citizens.portal.forms",
    "citizens.portal.urls",
    # django-import-export's resources serve the admin's import and export buttons.
    "initiatives.resources",
    # Log-in, log-out and the language switch, for the whole site.
    "agencies.views",
    "agencies.urls",
    # A middleware: every request of a logged-in person passes through it.
    "agencies.browser_language",
}
# Services and selectors inside a feature's package (`initiatives/statistics/`), which the
# rules below, reading the part after the app, would not see.
SERVICE_MODULES = {
    "initiatives.statistics.services",
    "initiatives.statistics.jobs",
    "initiatives.forecasts.jobs",
    "initiatives.forecasts.impact",
    "initiatives.alerts.jobs",
    "initiatives.alerts.digest",
    "initiatives.alerts.services",
}
SELECTOR_MODULES = {
    "initiatives.statistics.selectors",
    "initiatives.statistics.warnings",
    "initiatives.forecasts.selectors",
    "initiatives.forecasts.series",
    "initiatives.forecasts.impact_selectors",
    "initiatives.alerts.selectors",
}
# The order of the apps: each may import those before it, never those after.
# The citizen register reads agencies and regions and feeds initiatives' KPI values
# through an initiatives service; initiatives knows nothing of it.
APP_ORDER = ("regions", "agencies", "initiatives", "citizens")

# Breaks allowed for now, each with its reason. The test fails when an entry is no
# longer a break, so the list can only shrink. Empty: keep it so.
KNOWN_BREAKS: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _ours(name: str) -> str | None:
    """The module of the project that `name` is, or the nearest package holding it."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path) -> Iterator[Import]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path, node)
            # `from pkg import mod` imports the module; `from pkg import name` the package.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for name in names:
            target = _ours(name)
            if target and target != module:
                yield Import(module, target, node.lineno)


IMPORTS = sorted(
    {i for module, path in MODULES.items() for i in _imports(module, path)}, key=lambda i: (i.source, i.target)
)


def layer(module: str) -> int:
    parts = module.split(".")
    if parts[0] == "projectoffice":
        return ENTRY if module in WIRING else KERNEL
    if module in ENTRY_MODULES or ENTRY_PARTS & set(parts[1:]):
        return ENTRY
    if module in SERVICE_MODULES:
        return SERVICES
    if module in SELECTOR_MODULES:
        return SELECTORS
    if len(parts) > 1 and parts[1] == "services":
        return SERVICES
    if len(parts) > 1 and parts[1] == "selectors":
        return SELECTORS
    if len(parts) > 1 and parts[1] == "engine":
        return ENGINE
    return CORE


def breaks(i: Import) -> str | None:
    """Which rule an import breaks, if any."""
    source_app, target_app = i.source.split(".")[0], i.target.split(".")[0]
    if source_app == "projectoffice" and i.source not in WIRING and target_app != "projectoffice":
        return "the shared kernel knows no app"
    if (
        source_app in APP_ORDER
        and target_app in APP_ORDER
        and APP_ORDER.index(target_app) > APP_ORDER.index(source_app)
    ):
        return f"{source_app} imports nothing of {target_app}"
    source_layer, target_layer = layer(i.source), layer(i.target)
    if target_layer > source_layer:
        return f"{LAYER_NAMES[source_layer]} imports {LAYER_NAMES[target_layer]}"
    return None


def _circles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    graph: dict[str, list[str]] = {}
    for source, target in sorted(edges):
        graph.setdefault(source, []).append(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, []):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _package_edges() -> set[tuple[str, str]]:
    """Imports between modules, less a package's own `__init__` gathering its modules
    (`initiatives.models` re-exporting `initiatives.models.values` is not a circle with a
    module that imports the package)."""
    return {
        (i.source, i.target)
        for i in IMPORTS
        if not (i.target.startswith(i.source + ".") and MODULES[i.source].name == "__init__.py")
    }


def test_the_graph_is_read_from_every_module_including_imports_inside_functions():
    assert len(MODULES) > 100
    # Given: tasks imports the reminders service inside its function only.
    inside = {(i.source, i.target) for i in IMPORTS}
    assert ("initiatives.tasks", "initiatives.services.reminders") in inside


def test_no_module_imports_a_layer_above_its_own_or_an_app_it_may_not_know():
    found = {(i.source, i.target): f"{i.source}:{i.line} -> {i.target}: {breaks(i)}" for i in IMPORTS if breaks(i)}
    new = [found[edge] for edge in sorted(set(found) - KNOWN_BREAKS)]
    assert new == []


def test_every_known_break_is_still_a_break_so_the_list_only_shrinks():
    found = {(i.source, i.target) for i in IMPORTS if breaks(i)}
    # An entry listed here that is no longer a break: remove it from KNOWN_BREAKS.
    assert sorted(KNOWN_BREAKS - found) == []


def test_no_modules_import_each_other_in_a_circle():
    assert _circles(_package_edges() - KNOWN_BREAKS) == []


def test_the_rules_catch_what_they_are_meant_to():
    # The checks themselves: each rule of the module docstring refuses its example.
    assert breaks(Import("initiatives.services.values", "initiatives.tasks", 1)) == "services imports entry point"
    assert (
        breaks(Import("initiatives.engine.figure_state", "initiatives.services.values", 1)) == "engine imports services"
    )
    assert breaks(Import("initiatives.selectors.reports", "initiatives.services.reports", 1)) == (
        "selectors imports services"
    )
    assert breaks(Import("initiatives.selectors.portal", "initiatives.services.reports", 1)) == (
        "selectors imports services"
    )
    assert breaks(Import("initiatives.services.exports", "initiatives.api.filters", 1)) == (
        "services imports entry point"
    )
    assert breaks(Import("regions.api", "agencies.api_permissions", 1)) == "regions imports nothing of agencies"
    assert breaks(Import("agencies.access", "initiatives.models", 1)) == "agencies imports nothing of initiatives"
    assert breaks(Import("initiatives.demo", "citizens.demo", 1)) == "initiatives imports nothing of citizens"
    assert breaks(Import("citizens.services", "initiatives.services.register", 1)) is None
    assert breaks(Import("projectoffice.api_throttles", "agencies.tokens", 1)) == "the shared kernel knows no app"
    assert breaks(Import("projectoffice.api", "initiatives.api.views", 1)) is None
    assert breaks(Import("initiatives.api.views", "initiatives.services.reports", 1)) is None
    assert breaks(Import("initiatives.statistics.selectors", "initiatives.statistics.jobs", 1)) == (
        "selectors imports services"
    )
    assert breaks(Import("initiatives.statistics.file", "initiatives.statistics.services", 1)) == (
        "core imports services"
    )
    assert breaks(Import("initiatives.statistics.services", "initiatives.statistics.admin", 1)) == (
        "services imports entry point"
    )
    assert _circles({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == [["a", "b", "c"]]


def test_dead_code_stays_gone():
    # Issue 24: code nothing called, and settings of a ReDoc page that no longer exists.
    gone = {
        "initiatives.engine.facts": "def span_of(",
        "initiatives.selectors.releases": "def is_count(",
        "regions.kato": "MAX_LEVEL",
        "projectoffice.settings": "REDOC",
    }
    assert [m for m, name in gone.items() if name in MODULES[m].read_text()] == []
    assert "ReDoc" not in MODULES["projectoffice.settings"].read_text()


# What the engine may not do: it computes figures from facts (and loads those facts);
# keeping them in a cache is the selectors' business, queueing work the services'.
IMPURE_IMPORTS = ("django.core.cache", "celery", "projectoffice.queueing")
IMPURE_CALLS = {"on_commit", "delay", "apply_async", "send_task"}


def _impurities(path: Path) -> list[tuple[int, str]]:
    """(line, what) of each cache or queue an engine module reaches for."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if any(name == banned or name.startswith(banned + ".") for banned in IMPURE_IMPORTS):
                found.add((node.lineno, f"imports {name}"))
            if name.rpartition(".")[2] in IMPURE_CALLS:
                found.add((node.lineno, f"imports {name}"))
        if isinstance(node, ast.Attribute) and node.attr in IMPURE_CALLS:
            found.add((node.lineno, f"calls {node.attr}"))
    return sorted(found)


def test_the_engine_neither_caches_nor_queues():
    engine = [path for module, path in MODULES.items() if module.split(".")[:2] == ["initiatives", "engine"]]
    assert len(engine) > 5
    assert [f"{path.name}:{line} {what}" for path in sorted(engine) for line, what in _impurities(path)] == []


def test_the_purity_check_catches_a_cache_a_queue_and_an_on_commit(tmp_path: Path):
    impure = tmp_path / "impure.py"
    impure.write_text(
        "from django.core.cache import cache\n"
        "from django.core import cache as c\n"
        "import celery\n"
        "from projectoffice.queueing import send\n"
        "from django.db import transaction\n"
        "from django.db.transaction import on_commit\n"
        "transaction.on_commit(print)\n"
        "task.delay(1)\n"
    )
    assert [line for line, _what in _impurities(impure)] == [1, 2, 3, 4, 6, 7, 8]


def test_small_things_exist_once():
    # Issue 24: each lives in one place (the kernel, or agencies for the branches a person
    # works in); a second definition, or history's user set by hand, is a copy again.
    once = {
        "def clean_period(": [],  # projectoffice.form_fields.PeriodField
        "def _date(": [],  # projectoffice.dates.iso_date
        "def _number(": [],  # projectoffice.numbers.decimal_read, table_download.xlsx_number
        "def plain(": [],  # projectoffice.numbers.rounded (and exact_text, rounded_text)
        "def _plain(": [],
        "def _quantize(": [],
        "def _audited(": [],
        "def rounded(": ["projectoffice.numbers"],
        "def branches_of(": ["agencies.access"],
        "._history_user = ": ["projectoffice.audit"],
        # Dates written as text: iso_date (or required_iso_date), strict YYYY-MM-DD, where
        # Python's own reader also takes "20250901". A date-time (datetime.fromisoformat)
        # is not a date and is not matched.
        "def iso_date(": ["projectoffice.dates"],
        "date.fromisoformat(": ["projectoffice.dates"],
        # Counted in whole numbers: Unit.is_counted.
        "WHOLE_UNITS": [],
        "Unit.COUNT, Unit.PEOPLE": ["initiatives.models.indicators"],
        # Rounding to places: `rounded` (halves up). The charts' axis ticks are exact
        # multiples of their step, quantized only to drop a float's noise.
        ".quantize(": ["initiatives.charts", "projectoffice.numbers"],
    }
    found = {
        text: sorted(m for m, path in MODULES.items() if ".migrations." not in m and text in path.read_text())
        for text in once
    }
    assert found == once


def test_figures_are_rounded_by_rounded_only():
    # Python's round() takes halves to even (and floats round their own way): a figure
    # computed by the engine, a selector or a service and shown beside a table's must be
    # rounded as the table is, by projectoffice.numbers.rounded.
    calls = sorted(
        f"{module}:{node.lineno}"
        for module, path in MODULES.items()
        if layer(module) in (ENGINE, SELECTORS, SERVICES)
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "round"
    )
    assert calls == []


# Tests share through conftest.py (fixtures) and tests/factories.py (builders); a test
# module that imports another runs that module's fixtures and tests under a second name.
TESTS = ROOT / "tests"


def _test_modules_imported(module: str, path: Path) -> list[str]:
    """The test modules (tests/**/test_*.py) that `path`, the module `module`, imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path, node)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if (
                parts[0] == "tests"
                and parts[-1].startswith("test_")
                and ROOT.joinpath(*parts).with_suffix(".py").exists()
            ):
                found.append(
                    f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:{node.lineno} {name}"
                )
    return found


def test_no_test_module_imports_another():
    files = sorted(TESTS.rglob("*.py"))
    assert len(files) > 50
    assert [found for path in files for found in _test_modules_imported(_module_name(path), path)] == []


def test_the_test_import_check_catches_each_way_of_writing_it(tmp_path: Path):
    written = tmp_path / "test_example.py"
    written.write_text(
        "from tests.initiatives import test_reporting_grid\n"
        "from tests.initiatives.test_reporting_grid import rows\n"
        "import tests.initiatives.test_reporting_grid\n"
        "from ..initiatives import test_reporting_grid as grid\n"
        "from .conftest import log_in\n"
        "from tests.factories import PASSWORD\n"
        "from tests.conftest import token_for\n"
    )
    found = _test_modules_imported("tests.browser.test_example", written)
    assert [line.split()[0] for line in found] == [
        "test_example.py:1",
        "test_example.py:2",
        "test_example.py:3",
        "test_example.py:4",
    ]
