"""Mutated dumps through the whole `ingest` command: never a traceback, every bad file named in
one line, and nothing stored before is lost."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import DUMPS, Cli

SEED_TEXT = (DUMPS / "002_016c0d79b69ffb33.txt").read_bytes()


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 20)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def cut(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def nul_bytes(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + b"\x00" * rng.randint(1, 4) + data[at:]


def invalid_utf8(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + rng.choice([b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80"]) + data[at:]


def shuffle_paragraphs(data: bytes, rng: random.Random) -> bytes:
    paragraphs = data.split(b"\n\n")
    rng.shuffle(paragraphs)
    return b"\n\n".join(paragraphs)


def mixed_line_endings(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    return b"".join(line + rng.choice([b"\n", b"\r\n", b"\r"]) for line in lines)


def huge_line(data: bytes, rng: random.Random) -> bytes:
    at = data.index(b"\n\n", len(data) // 2)
    return data[:at] + b" " + b"word " * 2_000_000 + data[at:]


MUTATIONS = [flip_bytes, cut, nul_bytes, invalid_utf8, shuffle_paragraphs, mixed_line_endings]


@pytest.fixture
def baseline(cli: Cli) -> list[object]:
    assert cli("ingest", str(DUMPS / "000_2b9e3ea4e6b592bd.txt")).exit_code == 0
    cli("mark", json.loads(cli("list", "-f", "json", "--limit", "1").stdout)[0]["id"], "--star")
    data: list[object] = json.loads(cli("list", "-f", "json").stdout)
    return data


def check_run(cli: Cli, files: list[Path], baseline: list[object]) -> None:
    result = cli("ingest", *map(str, files))
    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert (result.exit_code == 1) == bool(errors)
    for line in errors:
        assert any(line.startswith(f"error: {path}") for path in files), line
    after = {paper["id"]: paper for paper in json.loads(cli("list", "-f", "json").stdout)}
    for paper in baseline:
        assert isinstance(paper, dict)
        kept = after[paper["id"]]
        assert kept["status"] == paper["status"] and kept["seen"] >= paper["seen"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 2**32)), min_size=1, max_size=3)
)
def test_mutated_dumps_never_crash_or_lose_data(
    cli: Cli,
    tmp_path_factory: pytest.TempPathFactory,
    baseline: list[object],
    plan: list[tuple[object, int]],
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    files = []
    for index, (mutate, seed) in enumerate(plan):
        path = folder / f"dump-{index}.txt"
        path.write_bytes(mutate(SEED_TEXT, random.Random(seed)))
        files.append(path)
    check_run(cli, files, baseline)


def test_one_ten_megabyte_line(cli: Cli, tmp_path: Path, baseline: list[object]) -> None:
    path = tmp_path / "huge-line.txt"
    path.write_bytes(huge_line(SEED_TEXT, random.Random(1)))
    check_run(cli, [path], baseline)
