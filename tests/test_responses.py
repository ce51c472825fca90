"""Daily Papers API responses -> records: the real archive's shapes and quirks, and refusals."""

from __future__ import annotations

import ast
import datetime as dt
import json

import pytest

from papertriage.errors import DumpError
from papertriage.responses import arxiv_id, is_response, parse_response

from .conftest import BAD, FIXTURES, SHARED

API = FIXTURES / "api"
HF_API = SHARED / "hf-api"


def test_a_response_gives_each_entry_with_its_rank_date_and_identity() -> None:
    day = dt.date(2024, 5, 27)  # from the file's name
    papers = parse_response((API / "2024-05-27.json").read_bytes(), "2024-05-27.json", day)
    raw = json.loads((API / "2024-05-27.json").read_text("utf-8"))
    assert len(papers) == len(raw)
    (position, line, header, date, title, abstract), meta = papers[0]
    assert (position, line, header, date) == (1, 0, None, dt.date(2024, 5, 27))
    first = raw[0]["paper"]
    assert meta[0] == first["id"] == "2405.15738"
    assert json.loads(meta[1]) == [author["name"] for author in first["authors"]]
    assert meta[2] == first["publishedAt"][:10]
    assert meta[3] == first["upvotes"]
    assert title == " ".join(raw[0]["title"].split())
    assert abstract == " ".join(first["summary"].split())
    assert [record[0] for record, _ in papers] == list(range(1, len(raw) + 1))


def test_arxiv_line_wraps_are_collapsed_and_keywords_github_kept() -> None:
    papers = parse_response((HF_API / "2025-09-26.json").read_bytes(), "2025-09-26.json")
    (_, _, _, date, title, abstract), meta = papers[0]
    assert title == (
        "MMR1: Enhancing Multimodal Reasoning with Variance-Aware Sampling and Open Resources"
    )
    assert "\n" not in abstract and "  " not in abstract
    assert date == dt.date(2025, 9, 26)  # submittedOnDailyAt
    assert meta[2] == "2025-09-25"  # published the day before
    assert meta[4] == "https://github.com/LengSicong/MMR1" and meta[5] == 171
    assert meta[6] is not None and "Variance-Aware Sampling" in json.loads(meta[6])


def test_python_repr_entries_in_a_wrapped_response() -> None:
    """2025-01-10.json: `{"status", "date", "count", "data"}`, every entry a Python repr."""
    data = (API / "2025-01-10.json").read_bytes()
    wrapped = json.loads(data)
    assert all(isinstance(item, str) for item in wrapped["data"])
    papers = parse_response(data, "daily.json")  # no date in the name: the wrapper's date
    assert len(papers) == wrapped["count"] == 9
    assert {record[3] for record, _ in papers} == {dt.date(2025, 1, 10)}
    first = ast.literal_eval(wrapped["data"][0])["paper"]
    assert papers[0][1][0] == first["id"]
    assert json.loads(papers[0][1][1]) == [author["name"] for author in first["authors"]]


def test_entries_without_a_featured_date_take_the_day_of_the_response() -> None:
    raw = json.loads((API / "2024-05-27.json").read_text("utf-8"))
    assert "submittedOnDailyAt" not in raw[0]["paper"]
    papers = parse_response(json.dumps(raw).encode(), "x.json", dt.date(2024, 5, 27))
    assert papers[0][0][3] == dt.date(2024, 5, 27)
    undated = parse_response(json.dumps(raw).encode(), "x.json")  # nothing but publication
    assert undated[0][0][3] == dt.date.fromisoformat(raw[0]["paper"]["publishedAt"][:10])


def test_an_empty_day_is_a_response_with_no_papers() -> None:
    assert parse_response(b"[]\n", "2025-09-27.json") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ((BAD / "cut-off-2024-05-27.json").read_bytes(), "not valid JSON"),
        ((BAD / "not-a-response.json").read_bytes(), 'without a "data" list'),
        (b'"just a string"', "not a list of entries"),
        (b"[1, 2]", "entry 1 has no paper object"),
        (b'["{broken"]', "entry 1 is a string that is not a Python repr"),
        (b'[{"paper": {"id": "no"}, "title": "T"}]', "paper.id 'no' is not an arXiv id"),
        (
            b'[{"paper": {"id": "2501.00001", "summary": "S"}}]',
            "entry 1 .arXiv 2501.00001. has no title",
        ),
        (b'\xff[{"paper": {}}]', "not UTF-8"),
    ],
)
def test_what_is_not_a_response_is_refused_in_one_line(text: bytes, message: str) -> None:
    with pytest.raises(DumpError, match=message) as caught:
        parse_response(text, "file.json")
    assert "\n" not in str(caught.value)


def test_a_cut_off_response_names_the_line_where_it_stops() -> None:
    with pytest.raises(DumpError) as caught:
        parse_response((BAD / "cut-off-2024-05-27.json").read_bytes(), "cut.json")
    assert caught.value.line == (BAD / "cut-off-2024-05-27.json").read_text().count("\n") + 1


def test_content_tells_a_response_from_a_dump() -> None:
    assert is_response(b'\xef\xbb\xbf\n  [{"paper": {}}]')
    assert is_response(b'{"data": []}')
    assert not is_response(b"new\n\nDaily Papers\n")
    assert not is_response(b"")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2509.21268", "2509.21268"),
        ("arXiv:2509.21268v2", "2509.21268"),
        (" 2401.0001 ", "2401.0001"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("2509.212", None),
        ("paper", None),
    ],
)
def test_arxiv_ids(text: str, expected: str | None) -> None:
    assert arxiv_id(text) == expected
