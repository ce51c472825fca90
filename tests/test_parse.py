"""The dump parser on every variant real dumps come in, and on everything it must refuse."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from papertriage.errors import DumpError
from papertriage.parse import (
    DateContext,
    date_context,
    date_from_papers,
    latest_weekday,
    paragraphs,
    parse_date_line,
    parse_text,
    read_dump,
    read_dump_rows,
    resolve_date,
)

from .conftest import BAD, CORPUS, DUMPS, EDGE

CHROME = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
    "byAK and the research community\n\n"
)
SEP = DateContext(year=2025)


def dump(*papers: tuple[str, str], date: str = "Sep 26", chrome: bool = True) -> str:
    head = (CHROME if chrome else "") + (f"{date}\n\n" if date else "")
    return head + "\n\n".join(f"{title}\n\n{abstract}" for title, abstract in papers)


A = ("Mamba: Linear-Time Sequence Modeling", "We introduce a selective state space model. " * 5)
B = ("A Survey of Mamba", "Mamba has become popular. This survey reviews it in depth. " * 4)


def test_seed_dumps_parse_completely() -> None:
    counts = {path.name: len(list(read_dump(path, 2025))) for path in DUMPS.glob("*.txt")}
    assert counts == {"000_2b9e3ea4e6b592bd.txt": 95, "002_016c0d79b69ffb33.txt": 65}


def test_record_fields() -> None:
    records = parse_text(dump(A, B), "x.txt", SEP)
    first, second = records
    assert (first.title, first.abstract.strip()) == (A[0], A[1].strip())
    assert first.source == "x.txt"
    assert first.header_date == "Sep 26"
    assert first.date == dt.date(2025, 9, 26)
    assert (first.position, second.position) == (1, 2)
    assert (first.line, second.line) == (13, 17)


def test_crlf_bom_trailing_spaces_blank_runs_no_final_newline() -> None:
    path = EDGE / "crlf-bom-2025.txt"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and not raw.endswith(b"\n")
    records = list(read_dump(path))
    assert len(records) == 3
    assert records[0].date == dt.date(2025, 9, 26)
    assert all(r.title == r.title.strip() and "\r" not in r.abstract for r in records)
    assert not records[0].title.startswith("\ufeff")


def test_wrapped_paragraphs_are_joined() -> None:
    records = list(read_dump(EDGE / "wrapped-2025-03-14.txt"))
    corpus = {}
    with (CORPUS / "papers.jsonl").open() as handle:
        for _, line in zip(range(10), handle, strict=False):
            paper = json.loads(line)
            corpus[paper["title"]] = paper["abstract"]
    assert len(records) == 3
    for record in records:
        assert corpus[record.title] == record.abstract
    assert records[0].date == dt.date(2025, 3, 14)


def test_missing_chrome_and_date_line() -> None:
    records = list(read_dump(EDGE / "no-chrome.txt"))
    assert len(records) == 2
    assert records[0].header_date is None and records[0].date is None


def test_date_from_full_date_in_file_name_when_no_date_line(tmp_path: Path) -> None:
    path = tmp_path / "2024-06-03.txt"
    path.write_text(dump(A, date="", chrome=False))
    (record,) = read_dump(path)
    assert record.date == dt.date(2024, 6, 3)


def test_pages_pasted_into_one_file_keep_their_own_dates() -> None:
    records = list(read_dump(EDGE / "two-pages-2025.txt"))
    assert [r.position for r in records] == [1, 2, 3, 4]
    assert [r.date for r in records] == [dt.date(2025, 9, 25)] * 2 + [dt.date(2025, 9, 26)] * 2
    assert records[0].title == records[3].title


def test_chrome_missing_but_date_present() -> None:
    records = parse_text(dump(A, chrome=False), "x", SEP)
    assert records[0].date == dt.date(2025, 9, 26)


def test_short_abstract_is_accepted() -> None:
    records = parse_text(dump(("Tiny", "No period here"), A), "x", SEP)
    assert [r.title for r in records] == ["Tiny", A[0]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sep 26", (9, 26, None)),
        ("Sept 3", (9, 3, None)),
        ("September 3", (9, 3, None)),
        ("May 1, 2024", (5, 1, 2024)),
        ("Mayhem 3", None),
        ("Sep 32", None),
        ("Olmo 3", None),
    ],
)
def test_date_lines(text: str, expected: tuple[int, int, int | None] | None) -> None:
    assert parse_date_line(text) == expected


def test_year_resolution_order(tmp_path: Path) -> None:
    named = tmp_path / "daily-2024.txt"
    named.write_text("x")
    assert date_context(named).year == 2024
    assert date_context(named, year=2023).year == 2023
    plain = tmp_path / "dump.txt"
    plain.write_text("x")
    context = date_context(plain)
    assert context.year is None and context.reference == dt.date.today()


def test_a_guessed_year_puts_the_page_on_a_weekday() -> None:
    """Daily Papers appear Monday to Friday: `Sep 26` saved on 2026-12-04 is 2025's Friday,
    not 2026's Saturday."""
    cloned = DateContext(reference=dt.date(2026, 12, 4))
    assert resolve_date(9, 26, None, cloned, "x", 1) == dt.date(2025, 9, 26)
    assert resolve_date(9, 3, None, cloned, "x", 1) == dt.date(2026, 9, 3)
    assert latest_weekday(2, 29, dt.date(2026, 12, 4)) == dt.date(2024, 2, 29)
    with pytest.raises(ValueError):
        latest_weekday(2, 30, dt.date(2026, 12, 4))


def test_a_page_comes_after_nearly_all_of_its_papers() -> None:
    seen = [dt.date(2024, 8, 31), dt.date(2024, 9, 2), dt.date(2024, 9, 3)]
    assert date_from_papers(9, 3, seen) == dt.date(2024, 9, 3)
    assert date_from_papers(1, 2, [dt.date(2024, 12, 30)]) == dt.date(2025, 1, 2)
    odd = [dt.date(2024, 9, 1)] * 9 + [dt.date(2026, 1, 1)]
    assert date_from_papers(9, 3, odd) == dt.date(2024, 9, 3)


def test_mtime_year_is_the_latest_day_not_after_the_file() -> None:
    reference = DateContext(reference=dt.date(2025, 1, 3))
    assert resolve_date(12, 30, None, reference, "x", 1) == dt.date(2024, 12, 30)
    assert resolve_date(1, 2, None, reference, "x", 1) == dt.date(2025, 1, 2)
    leap = DateContext(reference=dt.date(2025, 3, 1))
    assert resolve_date(2, 29, None, leap, "x", 1) == dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("missing-abstract-2025.txt", 17, "has no abstract"),
        ("latin1-2025.txt", 13, "not UTF-8 text (byte 0xfc at column 2)"),
        ("binary.txt", 3, "binary file"),
        ("empty.txt", None, "empty file"),
        ("chrome-only.txt", None, "no papers found"),
        ("feb30-2025.txt", 11, "not a real date"),
    ],
)
def test_bad_files_are_refused_with_file_and_line(
    name: str, line: int | None, message: str
) -> None:
    path = BAD / name
    with pytest.raises(DumpError) as caught:
        list(read_dump(path))
    assert caught.value.line == line
    assert message in caught.value.reason
    assert str(caught.value).startswith(f"{path}:{line}:" if line else f"{path}: ")
    assert "\n" not in str(caught.value)


def test_a_title_cut_off_at_the_end_of_a_page_is_skipped_not_the_dump() -> None:
    skipped: list[tuple[str, int]] = []
    rows = list(read_dump_rows(EDGE / "last-title-alone-2025.txt", skipped=skipped))
    assert [row[4] for row in rows] == [
        "Denoising LM: Pushing the Limits of Error Correction Models for Speech Recognition"
    ]
    assert [(title[:6], line) for title, line in skipped] == [("HDR-GS", 17)]
    pages = dump(A, chrome=False) + "\n\nCut short\n\n" + CHROME + dump(B)
    assert [r.title for r in parse_text(pages, "x", SEP)] == [A[0], B[0]]


def test_titles_ending_like_sentences_are_titles() -> None:
    papers = [("Is Attention All You Need?", A[1]), ("Less Is More.", B[1]), ("Wow!", A[1])]
    assert [(r.title, r.abstract) for r in parse_text(dump(*papers), "x", SEP)] == [
        (title, abstract.strip()) for title, abstract in papers
    ]


def test_missing_abstract_names_the_title() -> None:
    with pytest.raises(DumpError, match=r'title ".+" has no abstract'):
        list(read_dump(BAD / "missing-abstract-2025.txt"))


def test_abstract_where_a_title_should_be() -> None:
    text = CHROME + "Sep 26\n\n" + A[1] + "\n\n" + B[0] + "\n\n" + B[1]
    with pytest.raises(DumpError, match="reads like an abstract") as caught:
        parse_text(text, "x", SEP)
    assert caught.value.line == 13


def test_whole_corpus_matches_its_manifest() -> None:
    manifest = {}
    with (CORPUS / "manifests" / "dumps.jsonl").open() as handle:
        for line in handle:
            entry = json.loads(line)
            manifest[Path(entry["file"]).name] = entry
    titles = {}
    with (CORPUS / "papers.jsonl").open() as handle:
        for line in handle:
            paper = json.loads(line)
            titles[paper["arxiv_id"]] = paper["title"]
    paths = sorted((CORPUS / "dumps").glob("*.txt"))
    assert len(paths) == 580
    for path in paths:
        entry = manifest[path.name]
        records = list(read_dump(path))
        assert [r.title for r in records] == [titles[i] for i in entry["arxiv_ids"]], path.name
        assert records[0].date == dt.date.fromisoformat(entry["date"])


# --- properties --------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parsing_arbitrary_text_never_crashes(text: str) -> None:
    try:
        records = parse_text(text, "fuzz.txt", SEP)
    except DumpError as exc:
        assert str(exc).startswith("fuzz.txt")
    else:
        assert records and all(r.title and r.abstract for r in records)


words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Z")), min_size=1, max_size=12
)
titles = (
    st.lists(words, min_size=1, max_size=15)
    .map(" ".join)
    .filter(lambda t: len(t) <= 250 and not t.endswith("."))
)
abstracts = st.lists(words, min_size=25, max_size=80).map(lambda ws: " ".join(ws) + ".")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(titles, abstracts), min_size=1, max_size=8),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["\n", "\r\n"]),
)
def test_well_formed_dumps_round_trip(
    papers: list[tuple[str, str]], chrome: bool, bom: bool, newline: str
) -> None:
    cleaned = [(" ".join(t.split()), " ".join(a.split())) for t, a in papers]
    assume(all(title and not _looks_like_marker(title) for title, _ in cleaned))
    text = dump(*cleaned, chrome=chrome).replace("\n", newline)
    if bom:
        text = "\ufeff" + text
    records = parse_text(text, "x", SEP)
    assert [(r.title, r.abstract) for r in records] == cleaned
    assert [r.position for r in records] == list(range(1, len(cleaned) + 1))


def _looks_like_marker(title: str) -> bool:
    from papertriage.parse import CHROME as chrome_lines

    return title.casefold() in chrome_lines or parse_date_line(title) is not None


def test_parser_memory_does_not_grow_with_the_dump(tmp_path: Path) -> None:
    """Streaming: peak memory while parsing 8x more text stays about the same."""
    import tracemalloc

    page = (DUMPS / "000_2b9e3ea4e6b592bd.txt").read_text()
    peaks = []
    for copies in (5, 40):
        path = tmp_path / f"big-{copies}-2025.txt"
        path.write_text("\n\n".join([page] * copies))
        tracemalloc.start()
        count = sum(1 for _ in read_dump(path))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert count == 95 * copies
    assert peaks[1] < peaks[0] * 1.5, peaks


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(titles, abstracts), min_size=1, max_size=6),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.lists(st.integers(min_value=0, max_value=10_000), max_size=8),
)
def test_paragraphs_do_not_depend_on_where_the_text_is_cut(
    papers: list[tuple[str, str]], newline: str, cuts: list[int]
) -> None:
    """A file is read in chunks of whole lines; a paragraph may run across chunks."""
    text = dump(*papers).replace("\n", newline) + newline
    ends = [i + len(newline) for i in range(len(text)) if text.startswith(newline, i)]
    ends = [end for end in ends if not text.startswith("\n", end)]  # never inside a CRLF
    points = sorted({ends[cut % len(ends)] for cut in cuts})
    chunks = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    assert list(paragraphs(chunks)) == list(paragraphs([text]))


def test_a_lone_carriage_return_ends_a_line_as_in_universal_newlines(tmp_path: Path) -> None:
    """Old Mac files end lines with CR alone; line numbers count them as editors do."""
    path = tmp_path / "mac-2025.txt"
    path.write_bytes(
        b"Sep 26\r\rTitle\rwrapped\r\r" + A[1].encode() + b"\n\nB\r\n\r\n" + B[1].encode()
    )
    first, second = read_dump(path)
    assert (first.title, first.line, first.abstract) == ("Title wrapped", 3, A[1].strip())
    assert (second.title, second.line) == ("B", 8)


def test_big_dumps_parse_the_same_in_small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    import papertriage.parse as parse_module

    paths = sorted((CORPUS / "dumps").glob("*.txt"))[:40] + sorted(EDGE.glob("*.txt"))
    whole = {path: list(read_dump(path, 2025)) for path in paths}
    monkeypatch.setattr(parse_module, "_CHUNK", 97)
    assert {path: list(read_dump(path, 2025)) for path in paths} == whole


def test_every_kind_of_whitespace_collapses_in_every_paragraph() -> None:
    messy = [("Tab\tin a title", "An abstract\x0cwith a form feed and a\u00a0no-break space. " * 3)]
    records = parse_text(dump(A, *messy, B), "x", SEP)
    assert records[1].title == "Tab in a title"
    assert records[1].abstract == " ".join(messy[0][1].split())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(), max_size=6))
def test_paragraphs_are_tidy_whatever_the_text(chunks: list[str]) -> None:
    chunks = [chunk + "\n" for chunk in chunks]
    for text, _ in paragraphs(chunks):
        assert text and text == " ".join(text.split())


def test_bad_bytes_are_placed_alike_in_small_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import papertriage.parse as parse_module

    good = (DUMPS / "000_2b9e3ea4e6b592bd.txt").read_bytes()
    cases = {
        "late-latin1-2025.txt": good + b"\n\nCaf\xe9 title\n\n" + b"An abstract. " * 20,
        "late-nul-2025.txt": good.replace(b"\n", b"\r\n") + b"\r\n\r\nNUL \x00 here\r\n",
        **{path.name: path.read_bytes() for path in sorted(BAD.glob("*.txt"))},
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)

    def errors() -> dict[str, str]:
        found = {}
        for name in cases:
            with pytest.raises(DumpError) as caught:
                list(read_dump(tmp_path / name))
            found[name] = str(caught.value)
        return found

    whole = errors()
    assert whole["late-latin1-2025.txt"].endswith(":393: not UTF-8 text (byte 0xe9 at column 4)")
    assert ":393: binary file" in whole["late-nul-2025.txt"]
    monkeypatch.setattr(parse_module, "_CHUNK", 101)
    assert errors() == whole


def _real_papers() -> list[tuple[str, str]]:
    with (CORPUS / "papers.jsonl").open() as handle:
        return [(paper["title"], paper["abstract"]) for paper in map(json.loads, handle)]


REAL = _real_papers()


@st.composite
def pasted_pages(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    """A page as a real paste varies: real corpus papers under titles that may end like
    sentences, wrapped lines, runs of blank lines, trailing spaces and tabs, CRLF or CR, a BOM,
    chrome and date lines or none, pages pasted one after another, and titles whose abstract
    was cut off where a page ends. Returns the text and the papers it holds."""
    chosen = draw(st.lists(st.sampled_from(REAL), min_size=1, max_size=8))
    papers = [(title + draw(st.sampled_from(["", "", ".", "?", "!"])), a) for title, a in chosen]
    width = draw(st.sampled_from([0, 40, 72, 100]))
    spaces = st.sampled_from(["", "", " ", "  ", "\t", " \t"])

    def paragraph(text: str) -> str:
        wrap = textwrap.wrap(text, width or 1, break_long_words=False, break_on_hyphens=False)
        return "\n".join(line + draw(spaces) for line in (wrap if width else [text]))

    def gap() -> str:
        return "\n" * draw(st.integers(2, 4))

    def head() -> list[str]:
        chrome = CHROME.split("\n\n")[:-1] if draw(st.booleans()) else []
        return chrome + (["Sep 26"] if draw(st.booleans()) else [])

    cut = st.sampled_from(REAL).map(lambda paper: paper[0])
    breaks = set(draw(st.lists(st.integers(1, len(papers) - 1), max_size=2))) if papers[1:] else ()
    blocks = head()
    for index, (title, abstract) in enumerate(papers):
        if index in breaks:  # a title cut off from its abstract only where a page ends
            cut_off = [draw(cut)] if draw(st.booleans()) else []
            blocks += cut_off + (head() or ["Daily Papers"] * bool(cut_off))
        blocks += [paragraph(title), paragraph(abstract)]
    if draw(st.booleans()):
        blocks.append(draw(cut))
    text = "".join(block + gap() for block in blocks)
    text = text.rstrip("\n") if draw(st.booleans()) else text
    text = text.replace("\n", draw(st.sampled_from(["\n", "\r\n", "\r"])))
    return ("\ufeff" if draw(st.booleans()) else "") + text, papers


@settings(max_examples=300, deadline=None)
@given(pasted_pages())
def test_every_paper_of_a_real_paste_is_recovered(page: tuple[str, list[tuple[str, str]]]) -> None:
    text, papers = page
    records = parse_text(text, "x", SEP)
    assert [(r.title, r.abstract) for r in records] == papers
