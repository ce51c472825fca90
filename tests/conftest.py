"""Shared fixtures: every test gets its own library file and never touches the user's home."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from papertriage.cli import app
from papertriage.store import Store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
DUMPS = FIXTURES / "dumps"
EDGE = FIXTURES / "edge"
BAD = FIXTURES / "bad"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


@pytest.fixture(autouse=True)
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh library path, also exported as PAPERTRIAGE_DB for the CLI.

    The developer's own taxonomy.toml and config.toml (and the variables naming them) stay out
    of every test; so do fetched responses and the network.
    """
    path = tmp_path / "library.db"
    monkeypatch.setenv("PAPERTRIAGE_DB", str(path))
    # Fetched responses stay in the test's directory, and no test reaches the internet: the
    # API is a closed local port unless a test starts a server of its own.
    monkeypatch.setenv("PAPERTRIAGE_RESPONSES", str(tmp_path / "responses"))
    monkeypatch.setenv("PAPERTRIAGE_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("NO_COLOR", "PAPERTRIAGE_TAXONOMY", "PAPERTRIAGE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture
def store(library: Path) -> Iterator[Store]:
    with Store(library) as opened:
        yield opened


class Cli:
    """Runs `papertriage ...` in-process, with stdout and stderr kept apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(app, list(args), input=input)


@pytest.fixture
def cli() -> Cli:
    return Cli()
