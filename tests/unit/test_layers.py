"""The one shape of every service, as import contracts: ``.importlinter`` at the repository root,
checked by import-linter from the locked dev dependencies (docs/architecture.md, Layout).

Each contract runs on its own (``lint-imports --contract <id>``), so a contract that cannot be
evaluated yet (``layers`` needs every service to have its ``handlers`` package) does not hide
the result of the others. A broken contract fails with import-linter's report: the imports that
break it, with file and line.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".importlinter"
CONTRACT_SECTION = "importlinter:contract:"
# The contracts of the shape; more may be added, none of these removed.
SHAPE = {
    "layers",
    "routes-no-sql",
    "domain-pure",
    "db-not-up",
    "services-independent",
    "shared-below-services",
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _contracts() -> list[str]:
    parser = configparser.ConfigParser()
    parser.read(CONFIG, encoding="utf-8")
    return [
        section.removeprefix(CONTRACT_SECTION)
        for section in parser.sections()
        if section.startswith(CONTRACT_SECTION)
    ]


def _lint_imports() -> str:
    """The ``lint-imports`` of this environment (the locked dev dependencies)."""
    beside = Path(sys.executable).with_name("lint-imports")
    found = str(beside) if beside.is_file() else shutil.which("lint-imports")
    assert found, "lint-imports is missing: `make install` installs the dev dependencies"
    return found


def test_the_configuration_holds_the_contracts_of_the_shape() -> None:
    assert CONFIG.is_file()
    contracts = _contracts()
    assert len(contracts) == len(set(contracts))
    assert SHAPE <= set(contracts), f"missing: {sorted(SHAPE - set(contracts))}"


@pytest.mark.parametrize("contract", _contracts())
def test_the_contract_is_kept(contract: str) -> None:
    result = subprocess.run(
        [_lint_imports(), "--config", str(CONFIG), "--contract", contract, "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    report = ANSI.sub("", result.stdout + result.stderr).strip()
    if result.returncode != 0 or "1 kept, 0 broken" not in report:
        pytest.fail(f"contract {contract!r} is not kept:\n\n{report}", pytrace=False)
