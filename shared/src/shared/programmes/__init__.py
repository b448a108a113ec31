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
from shared.programmes.sections import (
    ApplicationRounds,
    DemonstrationCategory,
    DesignationReward,
    Evaluation,
    EvaluationCriterion,
    IndicatorSystem,
    ReportingWindow,
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
    "ApplicationRounds",
    "Comparison",
    "DemonstrationCategory",
    "DesignationReward",
    "Evaluation",
    "EvaluationCriterion",
    "IndicatorSystem",
    "Metric",
    "Period",
    "Problem",
    "Programme",
    "ProgrammeFileError",
    "Qualifier",
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
    "load_programme",
    "load_programmes",
    "parse_programme",
]
