"""Programme definitions as data: the model, its sections and the YAML loader.

See ``docs/programmes.md`` for the file format; the shipped files are in ``shared/programmes/``.
"""

from shared.programmes.common import Comparison, Metric, Qualifier, SourceRef, Unit
from shared.programmes.loader import (
    Problem,
    ProgrammeFileError,
    load_programme,
    load_programmes,
    parse_programme,
)
from shared.programmes.model import Period, Programme, Scope, SourceDocument, Target
from shared.programmes.report_templates import (
    CrossCheck,
    IndicatorType,
    ReportIndicator,
    ReportTemplate,
)
from shared.programmes.reporting import (
    CHINA_STANDARD_TIME,
    CoveredPeriod,
    LateDesignationDue,
    MonthDay,
    ReminderOffsets,
    ReportingWindow,
    WindowSchedule,
    WindowYearOverride,
)
from shared.programmes.sections import (
    ApplicationRounds,
    DemonstrationCategory,
    DesignationReward,
    Evaluation,
    EvaluationCriterion,
    IndicatorSystem,
    ReviewStep,
    Revocation,
    RevocationCondition,
    Reward,
    SalesMilestoneReward,
    StatisticsListEntryReward,
    TitleAward,
    TrafficSubsidy,
)

__all__ = [
    "CHINA_STANDARD_TIME",
    "ApplicationRounds",
    "Comparison",
    "CoveredPeriod",
    "CrossCheck",
    "DemonstrationCategory",
    "DesignationReward",
    "Evaluation",
    "EvaluationCriterion",
    "IndicatorSystem",
    "IndicatorType",
    "LateDesignationDue",
    "Metric",
    "MonthDay",
    "Period",
    "Problem",
    "Programme",
    "ProgrammeFileError",
    "Qualifier",
    "ReminderOffsets",
    "ReportIndicator",
    "ReportTemplate",
    "ReportingWindow",
    "ReviewStep",
    "Revocation",
    "RevocationCondition",
    "Reward",
    "SalesMilestoneReward",
    "Scope",
    "SourceDocument",
    "SourceRef",
    "StatisticsListEntryReward",
    "Target",
    "TitleAward",
    "TrafficSubsidy",
    "Unit",
    "WindowSchedule",
    "WindowYearOverride",
    "load_programme",
    "load_programmes",
    "parse_programme",
]
