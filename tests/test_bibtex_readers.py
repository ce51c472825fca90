"""The BibTeX export as real programs read it: bibtexparser 2 and pandoc (`--citeproc`'s
reader) get back the text of every paper, on hand-picked cases and on the whole corpus."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papertriage.export import bibtex_keys, bibtex_text, write_bibtex
from papertriage.models import Paper, PaperDetail

from .conftest import CORPUS, Cli
from .readers import (
    PANDOC,
    bibtexparser_fields,
    csl_fields,
    needs_pandoc,
    pandoc_fields,
    parse,
)
from .test_export import make

# Text that is not the author's LaTeX, and what every reader must give back for it.
ROUND_TRIPS = [
    ("with <1 GB VRAM", "with <1 GB VRAM"),
    ("the last <EOS> token > mean pooling", "the last <EOS> token > mean pooling"),
    ("features (|r|=0.64-0.95)", "features (|r|=0.64-0.95)"),
    ("2^{128} keys and 256^2 pixels", "2^128 keys and 256^2 pixels"),
    ("around ~9 tokens", "around ~9 tokens"),
    ("C:\\path and a \\ alone", "C:\\path and a \\ alone"),
    ("50% & $5 #1 snake_case", "50% & $5 #1 snake_case"),
    ("set \\{x\\} kept", "set {x} kept"),
    ("a lone { brace", "a lone { brace"),
    ("github.com/x/arazn-llm}, Models", "github.com/x/arazn-llm}, Models"),
    (
        "we propose PSRD (Phase-wise \\textbf{Self-Reward Decoding) for",
        "we propose PSRD (Phase-wise \\textbf{Self-Reward Decoding) for",
    ),
]
NOTE = "text with {braces} and a } too\nsecond line\n\n[1] after a blank line\n*starred"


def papers() -> list[PaperDetail]:
    cases = [
        make(f"Case {n}", abstract=text, id=f"{n:012x}") for n, (text, _) in enumerate(ROUND_TRIPS)
    ]
    return [*cases, make("With a note", note=NOTE, id="e" * 12)]


def bibtex(items: list[PaperDetail]) -> str:
    out = io.StringIO()
    write_bibtex(items, out)
    return out.getvalue()


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def test_a_command_whose_group_the_dump_lost_is_written_as_text() -> None:
    text = bibtex_text("PSRD (Phase-wise \\textbf{Self-Reward Decoding) for")
    assert "\\textbf\\" not in text and "\\textbf{" not in text


def test_bibtexparser_reads_back_special_characters_and_notes() -> None:
    items = papers()
    read = bibtexparser_fields(bibtex(items))
    keys = bibtex_keys(items)
    for key, (_, expected) in zip(keys, ROUND_TRIPS, strict=False):
        # pylatexenc reads `\textasciicircum` as the modifier letter ˆ, the nearest it has.
        assert read[key]["abstract"].replace("ˆ", "^") == expected
    assert lines(read[keys[-1]]["annote"]) == lines(NOTE)


@needs_pandoc
def test_pandoc_reads_back_special_characters_and_notes(tmp_path: Path) -> None:
    items = papers()
    path = tmp_path / "papers.bib"
    path.write_text(bibtex(items), encoding="utf-8")
    read = pandoc_fields(path)
    keys = bibtex_keys(items)
    for key, (_, expected) in zip(keys, ROUND_TRIPS, strict=False):
        assert read[key]["abstract"] == expected
    assert lines(read[keys[-1]]["annote"]) == lines(NOTE)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Vision-Language Models for Text-to-Image Generation", None),
        ("Can I Trust LLaVA-NeXT?", "Can {I} Trust {LLaVA-NeXT}?"),
        (
            "Asking like Socrates: Socrates helps VLMs understand images",
            "Asking like {Socrates}: {Socrates} helps {VLMs} understand images",
        ),
        (
            "Improving debt detection in Java source code",
            "Improving debt detection in {Java} source code",
        ),
    ],
)
def test_titles_protect_acronyms_names_and_i_not_hyphenated_words(
    title: str, expected: str | None
) -> None:
    assert bibtex_text(title, protect_case=True) == (expected or title)


@needs_pandoc
def test_pandoc_sentence_cases_ordinary_words_and_keeps_protected_ones(tmp_path: Path) -> None:
    titles = {
        "Vision-Language Models Can Ground Text-to-Image Prompts": (
            "Vision-language models can ground text-to-image prompts"
        ),
        "Can I Trust Qwen2.5-VL and GPT-4o?": "Can I trust Qwen2.5-VL and GPT-4o?",
        "Asking like Socrates helps VLMs understand remote sensing images": (
            "Asking like Socrates helps VLMs understand remote sensing images"
        ),
    }
    items = [make(title, id=f"{n:012x}") for n, title in enumerate(titles)]
    path = tmp_path / "titles.bib"
    path.write_text(bibtex(items), encoding="utf-8")
    read = pandoc_fields(path)
    shown = [read[key]["title"] for key in bibtex_keys(items)]
    assert shown == list(titles.values())


# --- the whole corpus, exported by the CLI -------------------------------------------------

# What readers do on purpose to text that was typed for LaTeX: TeX ligatures, and pandoc's smart
# quotes (which CSL JSON writes all alike, for the style to choose). Braces are the export's own
# (case protection) and dropped by every reader.
_TYPOGRAPHY = [("---", "—"), ("--", "–"), ("``", "“"), ("''", "”"), ("`", "‘"), ("ˆ", "^")]
_QUOTES = str.maketrans(dict.fromkeys('’‘“”"', "'"))


def comparable(text: str) -> str:
    text = " ".join(text.replace("{", "").replace("}", "").split())
    for tex, typeset in _TYPOGRAPHY:
        text = text.replace(tex, typeset)
    return text.translate(_QUOTES).casefold()


@pytest.mark.skipif(not (CORPUS / "dumps").is_dir(), reason="needs ../shared/corpus")
@needs_pandoc
def test_pandoc_and_bibtexparser_read_the_whole_corpus_export(cli: Cli, tmp_path: Path) -> None:
    """All 9,877 corpus papers, ingested and exported as a user would: both readers take the
    file whole, without a warning, and give back every title and abstract that holds no LaTeX
    of its author's (about 95% of them)."""
    assert cli("ingest", str(CORPUS / "dumps")).exit_code == 0
    bib, table = tmp_path / "corpus.bib", tmp_path / "corpus.json"
    assert cli("export", "-f", "bibtex", "-o", str(bib)).exit_code == 0
    assert cli("export", "-f", "jsonl", "-o", str(table)).exit_code == 0
    assert PANDOC is not None
    pandoc = subprocess.Popen(  # runs on the other core while bibtexparser reads
        [PANDOC, "--from", "bibtex", "--to", "csljson", "-o", str(tmp_path / "csl.json"), bib],
        stderr=subprocess.PIPE,
        text=True,
    )
    text = bib.read_text("utf-8")
    bodies = dict(re.findall(r"^@misc\{([^,]+),\n(.*?)^\}$", text, re.M | re.S))
    papers = {paper.id: paper for paper in map(Paper.model_validate_json, table.open())}
    assert len(bodies) == len(papers) == 9877
    ids = {key: re.findall(r"papertriage-id = \{(\w+)\}", body)[0] for key, body in bodies.items()}
    plain = {
        key: papers[paper]
        for key, paper in ids.items()
        if not re.search(r"[\\$]", papers[paper].title + papers[paper].abstract)
    }
    assert len(plain) > 9000
    # Decoding is slow (pylatexenc), and an entry with no backslash needs none: those are
    # parsed with the others and compared as written.
    decoded = bibtexparser_fields(text, [key for key in plain if "\\" in bodies[key]])
    as_written = {entry["ID"]: entry for entry in parse(text)}
    _, errors = pandoc.communicate()
    assert pandoc.returncode == 0 and not errors, errors
    read = {
        "pandoc": csl_fields((tmp_path / "csl.json").read_text("utf-8")),
        "bibtexparser": {key: decoded.get(key, as_written[key]) for key in as_written},
    }
    for reader, entries in read.items():
        wrong = [
            key
            for key, entry in entries.items()
            if key in plain
            and (
                comparable(entry["title"]) != comparable(plain[key].title)
                or comparable(entry["abstract"]) != comparable(plain[key].abstract)
            )
        ]
        assert not wrong, (reader, len(wrong), wrong[:5])


notes = st.lists(
    st.sampled_from([*"ab {}\\$%&#_~^<>|@[]* A1\"'", "\n", "\n\n", "\\\\", "\\textbf"]),
    max_size=40,
).map("".join)


@settings(max_examples=80, deadline=None)
@given(note=notes)
def test_any_note_keeps_the_entry_whole_for_bibtexparser(note: str) -> None:
    """`\\\\{` reads as an escaped brace to bibtexparser's splitter, which then ends the field
    early and loses the fields after it: no note may write one."""
    [entry] = parse(bibtex([make("Noted", note=note or None)]))
    assert entry["papertriage-status"] == "new"
    assert ("annote" in entry) == bool(note.strip())
    assert "\\\\{" not in entry.get("annote", "")
