"""Load the real Daily Papers corpus that sits beside the repository (`../shared/corpus`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def read_jsonl(name: str) -> list[dict[str, Any]]:
    """All objects of one JSONL file of the corpus, in file order."""
    with (CORPUS / name).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def papers() -> list[dict[str, Any]]:
    """`papers.jsonl`: one real paper per object, in featured (oldest-first) order."""
    return read_jsonl("papers.jsonl")


def variants() -> list[dict[str, Any]]:
    """`variants.jsonl`: the same paper as stored by two independent sources."""
    return read_jsonl("variants.jsonl")
