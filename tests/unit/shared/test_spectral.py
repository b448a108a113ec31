"""Spectral, with the OWASP API security ruleset, finds no error in any service's OpenAPI
document. The rules that do not apply are turned off, each with its reason, in
tools/spectral/.spectral.yaml; the pinned packages are installed by `make install`
(`npm ci` in tools/spectral)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.unit.shared.test_openapi_document import APPS

TOOLS = Path(__file__).resolve().parents[3] / "tools" / "spectral"
SPECTRAL = TOOLS / "node_modules" / ".bin" / "spectral"


def test_spectral_finds_no_error_in_any_openapi_document(tmp_path: Path) -> None:
    assert SPECTRAL.exists(), "Spectral is not installed: `make install` (npm ci in tools/spectral)"
    documents = []
    for name, make in sorted(APPS.items()):
        document = tmp_path / f"{name}.json"
        document.write_text(json.dumps(make().openapi(), ensure_ascii=False), encoding="utf-8")
        documents.append(str(document))
    options = ["--fail-severity", "error", "--display-only-failures", "--format", "text"]
    result = subprocess.run(
        [str(SPECTRAL), "lint", "--ruleset", str(TOOLS / ".spectral.yaml"), *options, *documents],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
