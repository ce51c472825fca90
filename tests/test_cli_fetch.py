"""`papertriage fetch` end to end, against a local HTTP server replaying real responses."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from papertriage.fetch import FetchConfig, days_between, fetch_day

from .conftest import SHARED, Cli

HF_API = SHARED / "hf-api"
DAY = "2025-09-26"


class Replay(ThreadingHTTPServer):
    """The Daily Papers API on 127.0.0.1: each day's file from ../shared/hf-api, or `[]`.

    `failures` answers the next requests with these statuses first; `cut` sends only the first
    bytes of a response (announcing them all) and hangs up; `slow` waits before answering.
    """

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[str] = []
        self.failures: list[int] = []
        self.cut = 0
        self.slow = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Replay

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        url = urlparse(self.path)
        day = parse_qs(url.query).get("date", [""])[0]
        if self.server.slow:
            time.sleep(self.server.slow)
        if self.server.failures:
            self.send_error(self.server.failures.pop(0))
            return
        if url.path != "/api/daily_papers":
            self.send_error(404)
            return
        path = HF_API / f"{day}.json"
        body = path.read_bytes() if path.is_file() else b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.server.cut:
            self.wfile.write(body[: self.server.cut])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the server's `requests`."""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Replay]:
    replay = Replay()
    thread = threading.Thread(target=replay.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("PAPERTRIAGE_API_URL", replay.url)
    yield replay
    replay.shutdown()
    replay.server_close()


@pytest.fixture
def quick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config that retries at once and waits little: failing tests stay fast."""
    config = tmp_path / "config.toml"
    config.write_text("[fetch]\nbackoff = 0.01\nretries = 2\ntimeout = 2\n", "utf-8")
    monkeypatch.setenv("PAPERTRIAGE_CONFIG", str(config))
    return config


def responses(tmp_path: Path) -> list[str]:
    return sorted(path.name for path in (tmp_path / "responses").glob("*"))


def listed(cli: Cli) -> list[dict[str, Any]]:
    result = cli("list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def test_a_new_day_is_fetched_kept_and_ingested(cli: Cli, server: Replay, tmp_path: Path) -> None:
    result = cli("fetch", "--date", DAY, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert server.requests == [f"/api/daily_papers?date={DAY}"]
    assert responses(tmp_path) == [f"{DAY}.json"]
    kept = tmp_path / "responses" / f"{DAY}.json"
    assert kept.read_bytes() == (HF_API / f"{DAY}.json").read_bytes()  # raw, as it came
    count = len(json.loads(kept.read_text("utf-8")))
    assert f"{DAY}: fetched, {count} papers" in result.stderr
    assert json.loads(result.stdout)["totals"]["new_papers"] == count
    papers = listed(cli)
    assert len(papers) == count and all(paper["arxiv_id"] for paper in papers)
    assert {paper["first_seen"] for paper in papers} == {DAY}


def test_a_day_already_fetched_is_not_downloaded_again(
    cli: Cli, server: Replay, tmp_path: Path
) -> None:
    assert cli("fetch", "--date", DAY).exit_code == 0
    again = cli("fetch", "--date", DAY, "--format", "json")
    assert again.exit_code == 0, again.stderr
    assert len(server.requests) == 1
    assert f"{DAY}: fetched before" in again.stderr
    assert json.loads(again.stdout)["totals"]["unchanged"] == 1
    forced = cli("fetch", "--date", DAY, "--force")
    assert forced.exit_code == 0 and len(server.requests) == 2


def test_a_week_fetches_weekdays_and_keeps_no_empty_day(
    cli: Cli, server: Replay, tmp_path: Path
) -> None:
    today = dt.date.today()
    result = cli("fetch", "--since", "6d")
    assert result.exit_code == 0, result.stderr
    weekdays = days_between(today - dt.timedelta(days=6), today)
    assert len(server.requests) == len(weekdays) == 5
    assert responses(tmp_path) == []  # the replayed archive ends in 2026-08: these days are []
    assert "no papers (yet): nothing kept" in result.stderr


def test_a_server_error_is_retried_with_backoff(
    cli: Cli, server: Replay, tmp_path: Path, quick: Path
) -> None:
    server.failures = [503, 500]
    result = cli("fetch", "--date", DAY)
    assert result.exit_code == 0, result.stderr
    assert len(server.requests) == 3
    assert responses(tmp_path) == [f"{DAY}.json"]
    waits: list[float] = []
    config = FetchConfig(base_url=server.url, retries=3, backoff=1.5)
    server.failures = [429, 502]
    fetch_day(dt.date(2025, 9, 25), tmp_path / "other", config, sleep=waits.append)
    assert waits == [1.5, 3.0]


def test_a_server_that_keeps_failing_stores_nothing(
    cli: Cli, server: Replay, tmp_path: Path, quick: Path
) -> None:
    server.failures = [500, 500, 500]
    result = cli("fetch", "--date", DAY)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: {server.url}/api/daily_papers?date={DAY}: HTTP 500 Internal Server Error"
        f" (3 tries; offline?); nothing stored for {DAY}"
    )
    assert responses(tmp_path) == [] and not (tmp_path / "library.db").exists()


def test_a_client_error_is_not_retried(
    cli: Cli, server: Replay, tmp_path: Path, quick: Path
) -> None:
    server.failures = [404]
    result = cli("fetch", "--date", DAY)
    assert result.exit_code == 1 and len(server.requests) == 1
    assert "HTTP 404 Not Found; nothing stored" in result.stderr


def test_a_cut_off_response_stores_nothing(
    cli: Cli, server: Replay, tmp_path: Path, quick: Path
) -> None:
    server.cut = 5000
    result = cli("fetch", "--date", DAY)
    assert result.exit_code == 1
    assert "the response was cut short (IncompleteRead)" in result.stderr
    assert len(server.requests) == 3
    assert list((tmp_path / "responses").glob("*")) == []
    server.cut = 0
    assert cli("fetch", "--date", DAY).exit_code == 0  # the next fetch asks again
    assert responses(tmp_path) == [f"{DAY}.json"]


def test_a_slow_server_times_out(
    cli: Cli, server: Replay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "slow.toml"
    config.write_text("[fetch]\nbackoff = 0\nretries = 1\ntimeout = 0.2\n", "utf-8")
    server.slow = 0.5
    result = cli("fetch", "--date", DAY, "--config", str(config))
    assert result.exit_code == 1
    assert "no answer in time (2 tries; offline?)" in result.stderr


def test_no_network_is_one_clear_line(cli: Cli, tmp_path: Path, quick: Path) -> None:
    """No server at all (the fixture's closed port): what an offline machine sees."""
    result = cli("fetch", "--since", "2025-09-22")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: http://127.0.0.1:9/api/daily_papers")
    assert "Connection refused (3 tries; offline?); nothing stored for 2025-09-22" in lines[0]
    assert "Traceback" not in result.stderr


def test_days_fetched_before_a_failure_are_kept_and_ingested(
    cli: Cli, server: Replay, tmp_path: Path, quick: Path
) -> None:
    """From 2025-09-15 on: the third day fails; the first two are kept and ingested."""
    original = Handler.do_GET

    def failing_on_the_third(handler: Handler) -> None:
        if "2025-09-17" in handler.path:
            handler.server.requests.append(handler.path)
            handler.send_error(500)
            return
        original(handler)

    Handler.do_GET = failing_on_the_third  # type: ignore[method-assign]
    try:
        result = cli("fetch", "--since", "2025-09-15")
    finally:
        Handler.do_GET = original  # type: ignore[method-assign]
    assert result.exit_code == 1
    assert responses(tmp_path) == ["2025-09-15.json", "2025-09-16.json"]
    assert {paper["first_seen"] for paper in listed(cli)} == {"2025-09-15", "2025-09-16"}
    assert "2025-09-17: HTTP 500" in result.stderr


def test_bad_dates_and_settings_are_refused(cli: Cli, tmp_path: Path) -> None:
    assert "not both" in cli("fetch", "--date", DAY, "--since", "7d").stderr
    assert "in the future" in cli("fetch", "--date", "2999-01-01").stderr
    config = tmp_path / "bad.toml"
    config.write_text("[fetch]\ntimeout = -1\n", "utf-8")
    refused = cli("fetch", "--config", str(config))
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"error: {config}: fetch.timeout: Input should be greater")
