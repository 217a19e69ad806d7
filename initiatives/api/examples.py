"""Example answers of the API, for its OpenAPI documentation (/api/docs/)."""

# The KPIs the examples name (the only KPI codes written in the API's code).
EXAMPLE_KPI = "crime.registered"
ANOTHER_EXAMPLE_KPI = "crime.theft"

SUMMARY_EXAMPLE = {
    "kpi": {"code": "crime.registered", "name": "Criminal offences registered", "unit": "count", "direction": "lower"},
    "period": "2025-01/2025-09",
    "compare_period": "2024-01/2024-09",
    "region": {"kato": None, "name": "Kazakhstan"},
    "value": "98500",
    "complete": True,
    "method": "sum of 20 regions",
    "missing": [],
    "partial_value": None,
    "previous": {
        "value": "105573",
        "complete": True,
        "method": "sum of 20 regions",
        "missing": [],
        "partial_value": None,
    },
    "change_percent": "-6.7",
    "change_note": None,
    "rate_per_10k": {
        "value": "48.6",
        "complete": True,
        "method": "crime.registered / population x 10000",
        "missing": [],
    },
    "population": "20286084",
    "target": {"year": 2025, "value": "130000", "baseline": "137000", "baseline_year": 2024},
    "status": "on_track",
    "status_method": "forecast_probability",
    "estimate": {
        "year": 2025,
        "value": "130612",
        "method": (
            "year to date 2025-01/2025-09 scaled by 2024's seasonal shape (75.4% of 2024 fell in the same months)"
        ),
        "is_estimate": True,
    },
    "forecast": {
        "run": 41,
        "year_end": "129874.00",
        "lower_80": "127310.00",
        "upper_80": "132502.00",
        "probability_meets_target": 0.7619,
    },
    "breakdown": [
        {
            "region": {"kato": "710000000", "name": "Astana"},
            "value": "11616",
            "complete": True,
            "change_percent": "-4.1",
        }
    ],
}

CAMPAIGN = {
    "id": 7,
    "name": "Akkum: alcohol-free village",
    "name_kk": "Аққұм ауылы: ішімдіксіз ауыл",
    "name_ru": "село Аккум: село без алкоголя",
    "name_en": "Akkum: alcohol-free village",
    "initiative": "alcohol-free-villages",
    "kind": "alcohol_free",
    "region": "434030100",
    "status": "active",
    "start_date": "2025-05-12",
    "end_date": None,
    "settlement_stage": "sustained",
    "declared_on": "2025-05-12",
    "verified_on": "2025-06-20",
    "sustained_on": "2026-05-12",
    "lapsed_on": None,
    "updated_at": "2026-11-28T12:00:00+05:00",
}

REFUSED_IMPORT = {
    "id": 13,
    "file_name": "1m-2025-09.csv",
    "status": "failed",
    "rows": 0,
    "created": 0,
    "updated": 0,
    "unchanged": 0,
    "error_count": 2,
    "errors": [
        {
            "line": 3,
            "column": "region",
            "code": "unknown_region",
            "params": {"code": "710000001"},
            "message": "unknown region '710000001' (a 9-digit KATO code)",
        },
        {
            "line": 4,
            "column": "value",
            "code": "negative_value",
            "params": {"value": "-5"},
            "message": "-5 is negative; values cannot be below zero",
        },
    ],
    "warnings_count": 1,
    "warnings": [
        {
            "line": 2,
            "column": "value",
            "code": "unusual_value",
            "params": {"value": "4100", "low": 310, "high": 530},
            "message": "4100 is far from the same months of past years (usual range 310 to 530); "
            "check it is not mistyped",
        },
    ],
    "agency": "kpssu",
    "uploaded_by": None,
    "created_at": "2026-11-28T12:00:00+05:00",
    "finished_at": "2026-11-28T12:00:01+05:00",
}


# One month and one horizon shown of the 12 each.
FORECAST_EXAMPLE = {
    "kpi": {"code": "crime.theft", "name": "Theft", "unit": "count", "direction": "lower"},
    "region": {"kato": "710000000", "name": "Astana"},
    "run": 41,
    "origin": "2025-09",
    "made_at": "2025-10-16T04:00:02+05:00",
    "data_as_of": "2025-10-16T04:00:00+05:00",
    "method": "mint_shrink",
    "months": [
        {
            "period": "2025-10",
            "horizon": 1,
            "value": "412.37",
            "lower_80": "371.10",
            "upper_80": "455.02",
            "lower_95": "349.80",
            "upper_95": "478.51",
            "benchmark": "431.00",
        },
    ],
    "year_end": {
        "period": "2025",
        "months_left": 3,
        "actual_to_origin": "3702.00",
        "value": "4941.45",
        "lower_80": "4869.02",
        "upper_80": "5020.77",
        "lower_95": "4830.35",
        "upper_95": "5062.10",
        "benchmark": "4990.00",
        "target": "5100.00",
        "probability_meets_target": 0.9524,
    },
    "accuracy": [
        {
            "horizon": 1,
            "relative_mae": 0.8123,
            "mase": 0.6412,
            "bias": -1.25,
            "coverage_80": 0.8,
            "coverage_95": 0.9417,
            "origins": 12,
        },
    ],
}
