"""What real BibTeX readers make of an export: bibtexparser 2 (pylatexenc) and pandoc.

Both are dev dependencies (pandoc comes with `pypandoc-binary`); the pandoc tests skip, saying
why, only where no pandoc can be found at all.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser.middlewares import LatexDecodingMiddleware


def _pandoc() -> str | None:
    try:
        import pypandoc

        return str(pypandoc.get_pandoc_path())
    except (ImportError, OSError):
        return shutil.which("pandoc")


PANDOC = _pandoc()
needs_pandoc = pytest.mark.skipif(
    PANDOC is None, reason="pandoc is not installed (pip install pypandoc-binary)"
)

Fields = dict[str, str]


def parse(text: str) -> list[Fields]:
    """Entries as written (no LaTeX decoding), `ID` and `ENTRYTYPE` included; nothing may fail."""
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [block.error for block in library.failed_blocks]
    return [
        {"ENTRYTYPE": entry.entry_type, "ID": entry.key}
        | {field.key: field.value for field in entry.fields}
        for entry in library.entries
    ]


def bibtexparser_fields(text: str, keys: Iterable[str] | None = None) -> dict[str, Fields]:
    """Each entry's fields as bibtexparser's LaTeX decoder reads them (only `keys`, if given:
    decoding is slow)."""
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [block.error for block in library.failed_blocks]
    wanted = None if keys is None else set(keys)
    decode = LatexDecodingMiddleware()
    decoded = bibtexparser.Library(
        [entry for entry in library.entries if wanted is None or entry.key in wanted]
    )
    return {
        entry.key: {field.key: str(field.value) for field in entry.fields}
        for entry in decode.transform(decoded).entries
    }


_CSL_MARKUP = re.compile(r"</?(?:span|i|b|sup|sub|sc)(?: [^>]*)?>")
# pandoc keeps math as TeX in CSL JSON; these are the braces the export writes as math.
_CSL_MATH = {r"$\lbrace$": "{", r"$\rbrace$": "}"}


def pandoc_fields(path: Path) -> dict[str, Fields]:
    """Each entry as pandoc's BibTeX reader reads it into CSL JSON (what `--citeproc` formats);
    pandoc must not warn."""
    assert PANDOC is not None
    run = subprocess.run(
        [PANDOC, "--from", "bibtex", "--to", "csljson", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0 and not run.stderr, run.stderr
    return csl_fields(run.stdout)


def csl_fields(csl_json: str) -> dict[str, Fields]:
    """Title, abstract and note of each CSL JSON item, markup dropped."""
    items: dict[str, Fields] = {}
    for item in json.loads(csl_json):
        fields = {}
        for name in ("title", "abstract", "annote"):
            if name in item:
                value = html.unescape(_CSL_MARKUP.sub("", item[name]))
                for math, brace in _CSL_MATH.items():
                    value = value.replace(math, brace)
                fields[name] = value
        items[item["id"]] = fields
    return items
