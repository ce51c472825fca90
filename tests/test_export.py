"""Export writers: BibTeX that parses and compiles, a markdown digest, guarded CSV, JSON."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import os
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from papertriage.export import (
    CSV_COLUMNS,
    bibtex_key,
    bibtex_keys,
    bibtex_text,
    markdown_text,
    write_bibtex,
    write_csv,
    write_json,
    write_jsonl,
    write_markdown,
)
from papertriage.models import PaperDetail, Sighting
from papertriage.normalize import paper_id, title_key
from papertriage.tagging import Taxonomy, default_taxonomy, tag_paper

from .conftest import CORPUS
from .readers import parse

CORPUS_FILE = CORPUS / "papers.jsonl"
needs_corpus = pytest.mark.skipif(not CORPUS_FILE.exists(), reason="needs ../shared/corpus")

DAY = dt.date(2025, 9, 26)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """Text as an export shows it: whitespace runs as one space, control characters gone."""
    return " ".join(CONTROL.sub("", " ".join(text.split())).split())


def make(title: str = "SketchVideo: Sketch-based Video Generation", **fields: Any) -> PaperDetail:
    """A paper as the store returns it, with its real id derived from the title."""
    first = fields.pop("first_seen", DAY)
    data: dict[str, Any] = {
        "id": paper_id(title_key(title)) if title_key(title) else "0" * 12,
        "title": title,
        "abstract": "We study things.",
        "seen": 1,
        "first_seen": first,
        "last_seen": first,
        "sources": ["2025-09-26.txt"],
        "sightings": [
            Sighting(
                source="2025-09-26.txt", date=first, position=1, line=3, title=title, abstract=""
            )
        ],
    }
    data.update(fields)
    return PaperDetail(**data)


# --- BibTeX: helpers ---------------------------------------------------------------------

_DECODE = re.compile(
    r"\\(textbackslash|textasciitilde|textasciicircum)\{\}|\\ensuremath\{\\[lr]brace\}"
    r"|\\ensuremath|\\([%&$#_{}])|[{}]"
)
_DECODED = {"textbackslash": "\\", "textasciitilde": "~", "textasciicircum": "^"}


def visible(latex: str) -> str:
    """What a field says, modulo braces and escapes: undo our escapes, drop every brace."""

    def one(match: re.Match[str]) -> str:
        if match.group(1):
            return _DECODED[match.group(1)]
        if match.group(2):
            return "" if match.group(2) in "{}" else match.group(2)
        return ""

    return _DECODE.sub(one, " ".join(latex.split()))


def bibtex_balanced(value: str) -> bool:
    """BibTeX's own rule for a braced value: every brace counts, escaped or not."""
    depth = 0
    for char in value:
        depth += (char == "{") - (char == "}")
        if depth < 0:
            return False
    return depth == 0


_ALLOWED_COMMANDS = {
    "textbackslash", "textasciitilde", "textasciicircum", "ensuremath", "lbrace", "rbrace",
}  # fmt: skip


def latex_commands(value: str) -> set[str]:
    """The control sequences in a value: what a LaTeX run would have to know."""
    return {m.group(1) for m in re.finditer(r"\\([A-Za-z]+|.)", value)}


@functools.cache
def corpus_papers() -> tuple[PaperDetail, ...]:
    papers = []
    for line in CORPUS_FILE.read_text("utf-8").splitlines():
        row = json.loads(line)
        day = dt.date.fromisoformat(row["date"])
        papers.append(make(row["title"], abstract=row["abstract"], first_seen=day))
    return tuple(papers)


# --- BibTeX: keys ------------------------------------------------------------------------


def test_key_is_first_significant_word_year_and_id_prefix() -> None:
    paper = make(id="a3f29c01d2e4")
    assert bibtex_key(paper) == "sketchvideo2025a3f2"


@pytest.mark.parametrize(
    ("title", "word"),
    [
        ("Towards a Theory of Everything", "theory"),
        ("Attention Is All You Need", "attention"),
        ("FürElise: Piano Transcription", "furelise"),
        (r"$\nabla^2$DFT: A Universal Quantum Chemistry Dataset", "dft"),
        (r"$\textit{Trans-LoRA}$: towards data-free transfer", "trans"),
        ("3D Gaussian Splatting", "3d"),
        ("Ψ-Net", "net"),
        ("Ψ", "paper"),
        ("!!! ??? ***", "paper"),
        ("", "paper"),
        ("A Supercalifragilisticexpialidocious Model", "supercalifragilistic"),
    ],
)
def test_key_word(title: str, word: str) -> None:
    key = bibtex_key(make(title, id="a3f29c01d2e4"))
    assert key == f"{word}2025a3f2"
    assert re.fullmatch(r"[a-z0-9]+", key)


def test_key_without_a_date_has_no_year_and_a_non_hex_id_is_hashed() -> None:
    assert bibtex_key(make(id="a3f29c01d2e4", first_seen=None)) == "sketchvideoa3f2"
    key = bibtex_key(make(id="not hex at all!", first_seen=None))
    assert re.fullmatch(r"sketchvideo[0-9a-f]{4}", key)


def test_keys_are_stable_across_runs_and_libraries() -> None:
    """The id comes from the normalised title, so a fresh library gives the same key."""
    one = make("SketchVideo: Sketch-based Video Generation")
    again = make("SketchVideo:  Sketch-based video generation", first_seen=DAY)
    assert bibtex_key(one) == bibtex_key(again) == f"sketchvideo2025{one.id[:4]}"


def test_clashing_keys_are_made_unique_whatever_the_order() -> None:
    a = make("Mamba one", id="abcd00000001")
    b = make("Mamba two", id="abcd00000002")
    c = make("Mamba three", id="abcd11000003")
    keys = bibtex_keys([c, b, a])
    assert keys == ["mamba2025abcd11", "mamba2025abcd00", "mamba2025abcd"]
    assert bibtex_keys([a, b, c]) == keys[::-1]
    twins = bibtex_keys([a, make("Mamba one again", id="abcd00000001")])
    assert len(set(twins)) == 2
    assert twins[0] == "mamba2025abcd"


# --- BibTeX: escaping --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{unbalanced title", r"\ensuremath{\lbrace}unbalanced title"),
        ("}starts with a brace", r"\ensuremath{\rbrace}starts with a brace"),
        ("a } b { c", r"a \ensuremath{\rbrace} b \ensuremath{\lbrace} c"),
        ("balanced {group} kept", "balanced {group} kept"),
        ("lone \\ backslash", r"lone \textbackslash{} backslash"),
        ("ends with \\", r"ends with \textbackslash{}"),
        ("%&$#_~^", r"\%\&\$\#\_\textasciitilde{}\textasciicircum{}"),
        ("Let's <think> | not", "Let's <think> | not"),
        (r"50\% and Q\&A", r"50\% and Q\&A"),
        (r"$\nabla^2$DFT", r"$\nabla^2$DFT"),
        ("SL$^{2}$A-INR", "SL$^{2}$A-INR"),
        ("$x}$ is not math", r"\$x\ensuremath{\rbrace}\$ is not math"),
        ("costs $25 and $15", r"costs \$25 and \$15"),
        (r"with \textsc{AIEV-Instruct}", r"with \textsc{AIEV-Instruct}"),
        (r"\method{} beats \ours", r"\textbackslash{}method{} beats \textbackslash{}ours"),
        (r"a \Delta b", r"a \ensuremath{\Delta} b"),
        (r"(\"Ust\"un et al.)", r"(\"Ust\"un et al.)"),
        (r"set \{x\}", r"set \{x\}"),
        (r"\textbf{unclosed", r"\textbackslash{}textbf\ensuremath{\lbrace}unclosed"),
        ("pass@1 and user@example.org", "pass@1 and user@example.org"),
        ("FürElise και Ψ", "FürElise και Ψ"),
        ("tab\tand\nnewline\x1b[31m", "tab and newline[31m"),
    ],
)
def test_bibtex_text_escapes_what_latex_would_read_and_keeps_balanced_latex(
    text: str, expected: str
) -> None:
    assert bibtex_text(text) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("ConvLLaVA: Hierarchical Backbones", "{ConvLLaVA}: Hierarchical Backbones"),
        ("Qwen2.5-VL beats GPT-4o in 3D", "{Qwen2.5-VL} beats {GPT-4o} in {3D}"),
        ("Large Language Models (LLMs)", "Large Language Models ({LLMs})"),
        ("FürElise on an iPhone", "{FürElise} on an {iPhone}"),
        ("Scaling R&D", r"Scaling R\&D"),
        (r"$\textit{Trans-LoRA}$: LoRA", r"{$\textit{Trans-LoRA}$}: {LoRA}"),
        (r"$\nabla^2$DFT and $L_2$", r"{$\nabla^2$}{DFT} and {$L_2$}"),
        (r"\LaTeX, G\"odel and \"Ust\"un", r"{\LaTeX}, G\"odel and {\"U}st\"un"),
        (r"{\it kept} as \textsc{Given}", r"{\it kept} as \textsc{Given}"),
    ],
)
def test_titles_protect_acronyms_and_brand_names_from_lower_casing(
    title: str, expected: str
) -> None:
    assert bibtex_text(title, protect_case=True) == expected


HOSTILE = [
    "{unbalanced",
    "}",
    "}{",
    "\\",
    "\\{",
    "a\\",
    "@misc{evil, title={x}}",
    "% not a comment @ all",
    "!!! ### $$$ %%% &&& ___ ~~~ ^^^",
    "$",
    "$$",
    "$\\$",
    "\\\\\\",
    "{{{}}",
    "\\textbf{unclosed",
    '\\"',
    "<script>alert(1)</script>",
    "",
]


def test_write_bibtex_entry_fields() -> None:
    paper = make(
        "Scaling LLM Agents: 50% Better",
        id="a3f29c01d2e4",
        abstract="We use pass@1, 20% & $5.",
        tags=["agents", "reasoning"],
        status="starred",
        note="Read §3 {first",
    )
    out = io.StringIO()
    write_bibtex([paper], out)
    text = out.getvalue()
    assert text.startswith(
        "@misc{scaling2025a3f2,\n  title = {Scaling {LLM} Agents: 50\\% Better},"
    )
    [entry] = parse(text)
    assert entry == {
        "ENTRYTYPE": "misc",
        "ID": "scaling2025a3f2",
        "title": "Scaling {LLM} Agents: 50\\% Better",
        "year": "2025",
        "month": "sep",  # the macro BibTeX styles localise
        "howpublished": "Hugging Face Daily Papers",
        "keywords": "agents, reasoning",
        "annote": "Read §3 \\ensuremath{\\lbrace}first",
        "abstract": "We use pass@1, 20\\% \\& \\$5.",
        "papertriage-id": "a3f29c01d2e4",
        "papertriage-status": "starred",
    }


def test_bibtex_of_an_identified_paper_has_authors_eprint_url_and_year_of_publication() -> None:
    paper = IDENTIFIED.model_copy(
        update={
            "authors": ["Sicong Leng", "Jing Wang", "R&D Team, Inc.", "Dong and Lee", "Øyvind Ås"],
            "first_seen": dt.date(2026, 1, 2),
        }
    )
    out = io.StringIO()
    write_bibtex([paper], out)
    [entry] = parse(out.getvalue())
    assert entry["author"] == (
        "Sicong Leng and Jing Wang and {R\\&D Team, Inc.} and {Dong and Lee} and Øyvind Ås"
    )
    assert entry["eprint"] == "2509.21268" and entry["archivePrefix"] == "arXiv"
    assert entry["url"] == "https://arxiv.org/abs/2509.21268"
    assert (entry["year"], entry["month"]) == ("2025", "sep")  # published, not first seen
    assert bibtex_key(paper) == f"mmr12026{paper.id[:4]}"  # keys stay as they were


def test_write_bibtex_without_date_tags_or_note_leaves_those_fields_out() -> None:
    out = io.StringIO()
    write_bibtex([make(first_seen=None)], out)
    [entry] = parse(out.getvalue())
    assert not {"year", "month", "keywords", "annote"} & entry.keys()


def test_hostile_titles_and_abstracts_give_entries_that_parse_and_keep_their_text() -> None:
    papers = [make(text, abstract=text, id=f"{n:012x}") for n, text in enumerate(HOSTILE)]
    out = io.StringIO()
    write_bibtex(papers, out)
    entries = parse(out.getvalue())
    assert [entry["ID"] for entry in entries] == bibtex_keys(papers)
    for paper, entry in zip(papers, entries, strict=True):
        for field, original in (("title", paper.title), ("abstract", paper.abstract)):
            assert bibtex_balanced(entry[field])
            assert visible(entry[field]) == visible(original), paper.title
            assert latex_commands(entry[field]) <= _ALLOWED_COMMANDS | set('%&$#_"') | {"textbf"}
    assert "\\ensuremath{\\lbrace}unbalanced" in out.getvalue()


def test_output_is_utf8_text_not_latex_accents() -> None:
    out = io.StringIO()
    write_bibtex([make("FürElise: Ελληνικά")], out)
    assert "{FürElise}: Ελληνικά" in out.getvalue()
    assert parse(out.getvalue())[0]["title"] == "{FürElise}: Ελληνικά"


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
latexy = st.lists(
    st.sampled_from([*"ab {}\\$%&#_~^<>|@ A1\"'", "\\textsc", "\\alpha"]), max_size=30
).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.one_of(texts, latexy), abstract=st.one_of(texts, latexy))
def test_any_text_gives_a_bibtex_entry_that_parses(title: str, abstract: str) -> None:
    paper = make(title, abstract=abstract, id="a3f29c01d2e4")
    out = io.StringIO()
    write_bibtex([paper], out)
    [entry] = parse(out.getvalue())
    assert entry["ID"] == bibtex_key(paper)
    for field, original in (("title", title), ("abstract", abstract)):
        value = entry[field]
        assert bibtex_balanced(value)
        assert visible(value) == visible(one_line(original))


@given(latexy)
def test_escaped_text_uses_only_commands_latex_knows(text: str) -> None:
    assume("$" not in text)  # math is the author's and kept as written
    escaped = bibtex_text(text, protect_case=True)
    # Besides the escapes: what the strategy can spell that LaTeX's kernel defines, the accents
    # (`\~a` is ã) and the letters `\aa` and `\AA` (å, Å).
    escapes, accents = set("%&#_${}"), set("\"'`^~=.")  # paired braces are written \{ \}
    known = _ALLOWED_COMMANDS | escapes | accents | {"textsc", "alpha", "aa", "AA"}
    assert latex_commands(escaped) <= known


@needs_corpus
def test_every_corpus_paper_gives_a_balanced_entry_that_keeps_its_title() -> None:
    """All 9,877 real papers, checked with BibTeX's own brace rule (bibtexparser is too slow
    for all of them in the test budget; the next test runs it on every paper with LaTeX)."""
    papers = corpus_papers()
    out = io.StringIO()
    write_bibtex(papers, out)
    text = out.getvalue()
    entries = text.split("\n\n")
    assert len(entries) == len(papers)
    keys = bibtex_keys(papers)
    assert len(set(keys)) == len(keys)
    field = re.compile(r"^  ([a-z-]+) = (.*),$")
    for paper, key, entry in zip(papers, keys, entries, strict=True):
        lines = entry.splitlines()
        assert lines[0] == f"@misc{{{key}," and lines[-1] == "}"
        values = {}
        for line in lines[1:-1]:
            match = field.match(line)
            assert match, line
            values[match.group(1)] = match.group(2)
        for name, value in values.items():
            if name != "month":
                assert value.startswith("{") and value.endswith("}")
                assert bibtex_balanced(value[1:-1]), (name, paper.title)
        assert visible(values["title"][1:-1]) == visible(paper.title)
        assert visible(values["abstract"][1:-1]) == visible(paper.abstract)


@needs_corpus
def test_corpus_papers_with_latex_parse_with_bibtexparser() -> None:
    """Every paper whose title or abstract holds `\\ { } $` or whose title holds any special
    character (about 1,000): the cases where escaping makes decisions."""
    hard = re.compile(r"[\\{}$]")
    special = re.compile(r"[\\{}$%&#_~^<>|@]")
    papers = [
        paper
        for paper in corpus_papers()
        if hard.search(paper.title + paper.abstract)
        or special.search(paper.title)
        or os.environ.get("PAPERTRIAGE_FULL_BIBTEX")
    ]
    assert len(papers) > 800
    out = io.StringIO()
    write_bibtex(papers, out)
    entries = parse(out.getvalue())
    assert [entry["ID"] for entry in entries] == bibtex_keys(papers)
    for paper, entry in zip(papers, entries, strict=True):
        assert visible(entry["title"]) == visible(paper.title)
        assert visible(entry["abstract"]) == visible(paper.abstract)


# --- markdown ----------------------------------------------------------------------------

TAXONOMY = default_taxonomy()
COMMONMARK = MarkdownIt("commonmark")


def digest(papers: list[PaperDetail], taxonomy: Taxonomy = TAXONOMY, **options: Any) -> str:
    out = io.StringIO()
    write_markdown(papers, out, taxonomy=taxonomy, **options)
    return out.getvalue()


def inline_text(token: Token) -> str:
    """The text a reader sees in an inline token (escapes resolved, code spans as written)."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


def headings(markdown: str) -> list[tuple[int, str]]:
    tokens = COMMONMARK.parse(markdown)
    return [
        (int(tokens[i].tag[1]), inline_text(tokens[i + 1]))
        for i, token in enumerate(tokens)
        if token.type == "heading_open"
    ]


def tagged(title: str, abstract: str = "We study things.", **fields: Any) -> PaperDetail:
    tags = tag_paper(TAXONOMY, title, abstract)
    return make(
        title, abstract=abstract, tags=tags, tag_origins=dict.fromkeys(tags, "rule"), **fields
    )


AGENT = tagged(
    "Agents that Reason: Chain-of-Thought for Tool-Using LLM Agents",
    "An LLM agent with chain-of-thought reasoning and tool use solves math word problems.",
    status="starred",
    note="Compare with *Toolformer* before Friday",
)
MAMBA = tagged("Mamba Scales Linear-Time Sequence Models", "A state space model.")
PLAIN = make("A Study of Nothing in Particular", id="ffff00000000")
IDENTIFIED = make(
    "MMR1: Enhancing Multimodal Reasoning with Variance-Aware Sampling and Open Resources",
    arxiv_id="2509.21268",
    url="https://huggingface.co/papers/2509.21268",
    authors=["Sicong Leng", "Jing Wang"],
    published=dt.date(2025, 9, 25),
    upvotes=55,
    github="https://github.com/LengSicong/MMR1",
    github_stars=171,
    keywords=["Variance-Aware Sampling", "policy optimization"],
)


def test_digest_groups_by_tag_in_taxonomy_order_with_untagged_last() -> None:
    assert AGENT.tags[0] == "agents" and "reasoning" in AGENT.tags
    assert MAMBA.tags == ["state-space-models"]
    yours = make(
        "Hand Picked", id="eeee00000000", tags=["zz-mine"], tag_origins={"zz-mine": "user"}
    )
    text = digest([PLAIN, MAMBA, yours, AGENT])
    sections = [title for level, title in headings(text) if level == 2]
    expected = [f"{tag} (1)" for tag in ["agents", "state-space-models", "reasoning", "zz-mine"]]
    assert sections == [*expected, "untagged (1)"]
    assert "**Tags:** agents (1) · state-space-models (1)" in text


def test_each_paper_is_written_out_once_under_its_first_tag_with_pointers_elsewhere() -> None:
    text = digest([AGENT, MAMBA])
    papers = [title for level, title in headings(text) if level == 3]
    assert papers == ["★ " + AGENT.title, MAMBA.title]
    reasoning = text.split("## reasoning (1)")[1].split("\n## ")[0]
    assert f"- `{AGENT.id[:8]}` {AGENT.title} (see agents)" in reasoning
    assert "### " not in reasoning


def test_a_paper_entry_says_where_when_and_why() -> None:
    paper = AGENT.model_copy(
        update={
            "tags": [*AGENT.tags, "to-read"],
            "tag_origins": {**AGENT.tag_origins, "to-read": "user"},
            "seen": 2,
            "last_seen": dt.date(2025, 9, 29),
            "sightings": [
                *AGENT.sightings,
                Sighting(
                    source="week_40.txt",
                    date=dt.date(2025, 9, 29),
                    position=4,
                    line=9,
                    title=AGENT.title,
                    abstract="",
                ),
            ],
        }
    )
    text = digest([paper])
    assert f"`{paper.id[:8]}` · ★ starred · seen 2× · 2025-09-26 → 2025-09-29" in text
    assert "- **Seen in:** `2025-09-26.txt` (2025-09-26), `week_40.txt` (2025-09-29)" in text
    tags_line = next(line for line in text.splitlines() if line.startswith("- **Tags:**"))
    assert re.search(r"agents \(“agent[^”]*” in title", tags_line)
    assert "to-read (yours)" in tags_line
    assert "- **Note:** Compare with \\*Toolformer\\* before Friday" in text
    assert "> An LLM agent with chain-of-thought" in text


def test_header_has_the_range_counts_and_since() -> None:
    later = MAMBA.model_copy(update={"last_seen": dt.date(2025, 10, 3), "status": "read"})
    text = digest([AGENT, later])
    assert text.startswith(
        "# Papers digest · 2025-09-26 → 2025-10-03\n\n2 papers: 1 starred, 1 read\n"
    )
    weekly = digest([AGENT, later], title="Week 40", since=dt.date(2025, 9, 29))
    assert weekly.startswith("# Week 40\n\n2 papers since 2025-09-29 (to 2025-10-03): 1 starred")
    assert digest([]).startswith("# Papers digest\n\n0 papers\n\nNo papers.")


def test_long_abstracts_are_trimmed_at_a_word() -> None:
    text = digest([make(abstract="word " * 200)])
    quote = next(line for line in text.splitlines() if line.startswith("> "))
    assert quote.endswith("word…") and len(quote) < 340


MARKUP_TITLES = [
    "# Not a heading",
    "1. Not a list",
    "- Not a bullet",
    "+ plus",
    "---",
    "===",
    "> quote",
    "Let's <think> about <b>bold</b> &amp; <!-- comment -->",
    "*stars* and _underscores_ and **bold** and `code`",
    "[link](http://example.com) and ![img](x.png) and <http://auto.link>",
    "| table | cell |",
    "~~strike~~ and $math$ and \\escaped\\",
    "ends with backslash \\",
    "    four spaces indent",
    "```",
    "[x]: http://reference.definition",
]


@pytest.mark.parametrize("title", MARKUP_TITLES)
def test_titles_with_markup_are_shown_literally(title: str) -> None:
    paper = make(title, abstract=title, note=title, id="0123456789ab")
    text = digest([paper])
    tokens = COMMONMARK.parse(text)
    kinds = {token.type for token in tokens}
    assert not kinds & {"html_block", "code_block", "fence", "hr", "ordered_list_open"}
    for token in tokens:
        for child in token.children or []:
            assert child.type not in ("html_inline", "link_open", "image", "em_open", "s_open")
    assert headings(text)[-1] == (3, title.strip())
    quote = tokens[[t.type for t in tokens].index("blockquote_open") + 2]
    assert inline_text(quote) == title.strip()


@settings(max_examples=80, deadline=None)
@given(title=texts, abstract=texts, note=texts)
def test_any_text_renders_as_itself_in_commonmark(title: str, abstract: str, note: str) -> None:
    paper = make(title, abstract=abstract, note=note or None, id="0123456789ab")
    text = digest([paper])
    shown = one_line(title)
    assert headings(text) == [
        (1, "Papers digest · 2025-09-26"),
        (2, "untagged (1)"),
        (3, shown or "(untitled)"),
    ]
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"#{1,3} ", line)
    tokens = COMMONMARK.parse(text)
    assert {t.type for t in tokens} <= {
        "heading_open", "heading_close", "inline", "paragraph_open", "paragraph_close",
        "bullet_list_open", "bullet_list_close", "list_item_open", "list_item_close",
        "blockquote_open", "blockquote_close",
    }  # fmt: skip
    assert sum(t.type == "list_item_open" for t in tokens) == 1 + bool(one_line(note))


def test_markdown_text_escapes_syntax() -> None:
    assert markdown_text("a*b_c [d] <e> `f` #g |h ~i &j $k !l \\m") == (
        r"a\*b\_c \[d\] \<e\> \`f\` \#g \|h \~i \&j \$k \!l \\m"
    )


# --- CSV ---------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tindented", "\rreturn"]


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_columns_and_values() -> None:
    paper = AGENT.model_copy(update={"sources": ["a.txt", "b.txt"], "seen": 2})
    out = io.StringIO()
    write_csv([paper, PLAIN, IDENTIFIED], out)
    header, row, plain, known = read_csv(out.getvalue())
    assert header == list(CSV_COLUMNS) == [
        "id", "title", "abstract", "seen", "first_seen", "last_seen", "sources", "tags",
        "status", "note", "arxiv_id", "url", "authors", "published", "upvotes", "github",
        "github_stars", "keywords",
    ]  # fmt: skip
    assert row == [
        paper.id, paper.title, paper.abstract, "2", "2025-09-26", "2025-09-26", "a.txt; b.txt",
        "; ".join(paper.tags), "starred", paper.note, "", "", "", "", "", "", "", "",
    ]  # fmt: skip
    assert plain[9] == "" and plain[7] == ""
    assert known[10:] == [
        "2509.21268", "https://huggingface.co/papers/2509.21268", "Sicong Leng; Jing Wang",
        "2025-09-25", "55", "https://github.com/LengSicong/MMR1", "171",
        "Variance-Aware Sampling; policy optimization",
    ]  # fmt: skip


@pytest.mark.parametrize("formula", FORMULAS)
def test_csv_guards_formulas_by_default_and_not_when_asked(formula: str) -> None:
    paper = make(formula, abstract=formula, note=formula, sources=[formula])
    guarded, raw = io.StringIO(), io.StringIO()
    write_csv([paper], guarded)
    write_csv([paper], raw, formula_guard=False)
    row = dict(zip(CSV_COLUMNS, read_csv(guarded.getvalue())[1], strict=True))
    for column in ("title", "abstract", "note", "sources"):
        assert row[column] == "'" + formula
    row = dict(zip(CSV_COLUMNS, read_csv(raw.getvalue())[1], strict=True))
    for column in ("title", "abstract", "note", "sources"):
        assert row[column] == formula


def test_csv_guard_leaves_ordinary_cells_alone() -> None:
    out = io.StringIO()
    write_csv([make("Mid-cell = + - @ are fine", note="x=1")], out)
    row = read_csv(out.getvalue())[1]
    assert row[1] == "Mid-cell = + - @ are fine" and row[9] == "x=1"


@settings(max_examples=80, deadline=None)
@given(title=texts, note=texts, guard=st.booleans())
def test_csv_round_trips_any_text(title: str, note: str, guard: bool) -> None:
    assume("\x00" not in title + note)
    paper = make(title, note=note or None)
    out = io.StringIO()
    write_csv([paper], out, formula_guard=guard)
    row = read_csv(out.getvalue())[1]

    def expected(value: str) -> str:
        risky = guard and value.startswith(("=", "+", "-", "@", "\t", "\r"))
        return "'" + value if risky else value

    assert row[1] == expected(title)
    assert row[9] == expected(note)


# --- JSON --------------------------------------------------------------------------------


def test_json_is_one_array_of_the_full_models() -> None:
    papers = [AGENT, make("FürElise <think>", id="0123456789ab")]
    out = io.StringIO()
    write_json(papers, out)
    assert "FürElise" in out.getvalue()  # not \u escaped
    data = json.loads(out.getvalue())
    assert data == [paper.model_dump(mode="json") for paper in papers]
    assert [PaperDetail.model_validate(item) for item in data] == papers
    assert {"sightings", "tag_origins", "status", "note"} <= data[0].keys()


def test_jsonl_is_one_paper_per_line() -> None:
    papers = [AGENT, make("Line\nbreak\u2028in title", id="0123456789ab")]
    out = io.StringIO()
    write_jsonl(papers, out)
    lines = out.getvalue().split("\n")
    assert lines[-1] == "" and len(lines) == 3
    assert [PaperDetail.model_validate_json(line) for line in lines[:-1]] == papers
    empty = io.StringIO()
    write_json([], empty)
    assert empty.getvalue() == "[]\n"


def test_implied_tags_and_tags_the_rules_no_longer_explain_say_so() -> None:
    taxonomy = Taxonomy.model_validate(
        {
            "tags": {
                "ssm": {
                    "name": "ssm",
                    "rules": [{"phrase": "mamba", "weight": 3}],
                    "implies": ["seq"],
                },
                "seq": {"name": "seq", "rules": [{"phrase": "sequence", "weight": 3}]},
                "old": {"name": "old", "rules": [{"phrase": "zzz", "weight": 3}]},
            }
        }
    )
    paper = make(
        "Mamba",
        tags=["ssm", "seq", "old"],
        tag_origins=dict.fromkeys(["ssm", "seq", "old"], "rule"),
    )
    tags_line = next(
        line for line in digest([paper], taxonomy).splitlines() if line.startswith("- **Tags")
    )
    assert (
        tags_line == "- **Tags:** ssm (“mamba” in title); seq (implied by ssm); old (by the model)"
    )
