"""Versions are immutable; a diff lists the changed fields (issue 9, Flow and versions)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from submissions.domain.versions import FieldChange, ReportVersion, diff
from tests.unit.submissions.conftest import GUIYANG, REPORTER, cst


def test_a_version_cannot_be_changed_through_its_input() -> None:
    figures = {"online_retail_sales": Decimal("100.00")}
    version = ReportVersion(1, cst(2025, 12, 1), REPORTER, False, figures)
    figures["online_retail_sales"] = Decimal(1)
    assert version.figures["online_retail_sales"] == Decimal("100.00")
    with pytest.raises(TypeError):
        version.figures["workers"] = 3  # type: ignore[index]


def test_diff_lists_changed_added_and_removed_fields() -> None:
    older = ReportVersion(
        1,
        cst(2025, 12, 1),
        REPORTER,
        False,
        {"online_retail_sales": Decimal("100.00"), "workers": 12, "live_sessions": 4},
    )
    newer = ReportVersion(
        2,
        cst(2025, 12, 5),
        GUIYANG,
        True,
        {"online_retail_sales": Decimal("120.50"), "workers": 12, "online_stores": 3},
    )
    assert diff(older, newer) == (
        FieldChange("live_sessions", 4, None),
        FieldChange("online_retail_sales", Decimal("100.00"), Decimal("120.50")),
        FieldChange("online_stores", None, 3),
    )
    assert diff(older, older) == ()
    same_number = ReportVersion(3, cst(2025, 12, 6), REPORTER, False, {"workers": Decimal("12.0")})
    assert (
        diff(ReportVersion(2, cst(2025, 12, 5), REPORTER, False, {"workers": 12}), same_number)
        == ()
    )
