from ..statistics.models import ImportBatch, ImportStatus
from .exports import Export, ExportFormat, ExportStatus
from .indicators import (
    Aggregation,
    Direction,
    Frequency,
    Indicator,
    IndicatorGroup,
    IndicatorSource,
    KpiRole,
    Target,
    Unit,
)
from .outbox import OutboxMessage
from .programme import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    ConceptDirection,
    Initiative,
    InitiativeStatus,
    SettlementStage,
)
from .releases import PublicFigure, Release, ReleaseFigure, ReleaseState, Suppression
from .reopen_requests import ReopenRequest
from .reports import Report, ReportEvidence, ReportingCycle, ReportKind, ReportLine, ReportSettlement, ReportState
from .rollups import NATION, FigureVersion, Rollup, RollupCheck
from .values import ApprovalState, Value, ValueQuerySet, ValueSource

__all__ = [
    "NATION",
    "Aggregation",
    "ApprovalState",
    "Campaign",
    "CampaignKind",
    "CampaignStatus",
    "ConceptDirection",
    "Direction",
    "Export",
    "ExportFormat",
    "ExportStatus",
    "FigureVersion",
    "Frequency",
    "ImportBatch",
    "ImportStatus",
    "Indicator",
    "IndicatorGroup",
    "IndicatorSource",
    "Initiative",
    "InitiativeStatus",
    "KpiRole",
    "OutboxMessage",
    "PublicFigure",
    "Release",
    "ReleaseFigure",
    "ReleaseState",
    "ReopenRequest",
    "Report",
    "ReportEvidence",
    "ReportKind",
    "ReportLine",
    "ReportSettlement",
    "ReportState",
    "ReportingCycle",
    "Rollup",
    "RollupCheck",
    "SettlementStage",
    "Suppression",
    "Target",
    "Unit",
    "Value",
    "ValueQuerySet",
    "ValueSource",
]
