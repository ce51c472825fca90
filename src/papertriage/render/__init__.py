"""Everything the user sees: rich tables and panels for people, json/jsonl/csv for programs.

The only package that imports rich. `base` holds the consoles, formats and writers; the other
modules are the views of each part of the core.
"""

from .base import Format, error, info, progress_bars, warn, write_json
from .dupes import show_candidates, show_duplicates
from .papers import (
    show_choices,
    show_fetched_day,
    show_ingest_report,
    show_paper,
    show_papers,
    show_search,
    show_stats,
    show_triage_paper,
)
from .safety import show_check
from .tags import show_evaluation, show_explanation, show_paper_tags, show_tags

__all__ = [
    "Format",
    "error",
    "info",
    "progress_bars",
    "show_candidates",
    "show_check",
    "show_choices",
    "show_duplicates",
    "show_evaluation",
    "show_explanation",
    "show_fetched_day",
    "show_ingest_report",
    "show_paper",
    "show_paper_tags",
    "show_papers",
    "show_search",
    "show_stats",
    "show_tags",
    "show_triage_paper",
    "warn",
    "write_json",
]
