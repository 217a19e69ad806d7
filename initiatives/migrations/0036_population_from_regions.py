"""A region's population (`Region.population`, its date and its source) becomes a value of
the KPI whose role is population, so that there is one source for it, dated (a rate of a
past year divides by the population of that year). regions 0003 then drops the columns.

A value already there for the key is kept: it is what the rates have been reading."""

from django.db import migrations
from django.utils import timezone


def population_values_written(rows, *, value_model, indicator_model, region_model) -> int:  # type: ignore[no-untyped-def]
    """Write each region's population as a value; returns how many were written. `rows`
    are (region id, population, its date or None, its source, when the region last
    changed). Takes the model classes so that a test can pass today's models."""
    from initiatives.models.indicators import with_role_q
    from initiatives.periods import stock_period_at

    rows = list(rows)
    if not rows:
        return 0
    kpi = indicator_model.objects.filter(with_role_q("population")).order_by("code").first()
    if kpi is None:
        raise RuntimeError("regions hold a population but no KPI has the role population: load the catalogue first")
    lives = {pk: (start, end) for pk, start, end in region_model.objects.values_list("pk", "valid_from", "valid_to")}
    now = timezone.now()
    to_create = []
    for region_id, population, counted_on, source, changed in rows:
        # Undated, it is the figure of the day someone last saved the region.
        period = stock_period_at(counted_on or timezone.localdate(changed))
        first, last = lives[region_id]
        if not period.overlaps_days(first, last):
            print(f"  region {region_id}: population {population} of {period} is outside its life, not moved")
            continue
        held = value_model.objects.filter(
            indicator=kpi,
            region_id=region_id,
            period_start=period.first_day,
            period_end=period.end.first_day,
        )
        if held.exists():
            continue
        to_create.append(
            value_model(
                indicator=kpi,
                region_id=region_id,
                period_start=period.first_day,
                period_end=period.end.first_day,
                value=population,
                source="manual",  # entered by the project office: editable in the admin's values
                approval_state="approved",
                approved_at=now,
                comment=source,
            )
        )
    value_model.objects.bulk_create(to_create)
    return len(to_create)


def move(apps, schema_editor):  # type: ignore[no-untyped-def]
    region_model = apps.get_model("regions", "Region")
    rows = region_model.objects.filter(population__isnull=False).values_list(
        "pk", "population", "population_as_of", "population_source", "updated_at"
    )
    population_values_written(
        rows,
        value_model=apps.get_model("initiatives", "Value"),
        indicator_model=apps.get_model("initiatives", "Indicator"),
        region_model=region_model,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0035_indicator_roles_from_catalogue"),
        ("regions", "0002_first_level_regions"),
    ]
    # The columns are read here before regions drops them.
    run_before = [("regions", "0003_region_population_removed")]

    operations = [migrations.RunPython(move, migrations.RunPython.noop)]
