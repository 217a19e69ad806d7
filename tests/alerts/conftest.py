import pytest

from tests.factories import AlertFactory, DetectionRunFactory


@pytest.fixture
def november(db: None) -> dict[str, object]:
    """November 2026 detected: two rises in Astana (one withdrawn), a rise and a fall in
    Almaty; October's alert in Astana, reviewed before."""
    DetectionRunFactory(month="2026-10")
    DetectionRunFactory(month="2026-11")
    return {
        "astana": AlertFactory(),
        "astana_withdrawn": AlertFactory(kpi="crime.theft", withdrawn=True),
        "almaty": AlertFactory(kato="750000000", kpi="crime.fraud"),
        "almaty_fall": AlertFactory(
            kato="750000000", kpi="crime.theft", adverse="fall", observed=12, expected=30, lower=18, upper=44
        ),
        "october": AlertFactory(month="2026-10", kind="persistent", persists=True),
    }
