from __future__ import annotations

from pathlib import Path

import pytest

from shared.programmes import Programme, load_programmes

PROGRAMMES = Path(__file__).resolve().parents[3] / "shared" / "programmes"


@pytest.fixture(scope="session")
def guizhou() -> Programme:
    return load_programmes(PROGRAMMES)["guizhou-shibaiqianwan-2023"]
