"""The stand-alone verifier claims to need only ``cryptography``: hold it to that."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MEMBER = ROOT / "packages" / "sunlight-verify"
SOURCE = MEMBER / "src" / "sunlight_verify"


def test_the_member_depends_only_on_cryptography() -> None:
    project = tomllib.loads((MEMBER / "pyproject.toml").read_text("utf-8"))["project"]
    names = [re.split(r"[<>=!~ \[;]", dep, maxsplit=1)[0] for dep in project["dependencies"]]
    assert names == ["cryptography"]
    assert "optional-dependencies" not in project
    assert project["name"] == "sunlight-verify"
    assert project["scripts"] == {"sunlight-verify": "sunlight_verify.cli:main"}


def test_the_code_imports_only_the_standard_library_and_cryptography() -> None:
    allowed = set(sys.stdlib_module_names) | {"cryptography", "sunlight_verify", "__future__"}
    seen: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                seen |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                seen.add(node.module.split(".")[0])
    assert seen - allowed == set()
    assert "cryptography" in seen


def test_the_main_package_uses_the_one_implementation() -> None:
    import sunlight.ledger.bundle
    import sunlight.ledger.verify
    import sunlight_verify.bundle
    import sunlight_verify.tlog

    assert sunlight.ledger.verify.open_checkpoint is sunlight_verify.tlog.open_checkpoint
    assert sunlight.ledger.verify.VerificationError is sunlight_verify.tlog.VerificationError
    assert sunlight.ledger.bundle.check_bundle is sunlight_verify.bundle.check_bundle
    # No copy left behind: the shims define nothing of their own.
    for module in (sunlight.ledger.verify, sunlight.ledger.bundle):
        tree = ast.parse(Path(module.__file__ or "").read_text("utf-8"))
        defined = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
        assert defined == []
