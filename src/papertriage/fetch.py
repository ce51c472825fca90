"""Daily Papers API responses downloaded, one file per day, to be ingested like any response.

Each response is kept raw (`YYYY-MM-DD.json` in the responses directory), so that a library can
always be rebuilt from its files. A day already there is not downloaded again. A response is
written only once it has arrived whole and reads as a response: a transfer cut short, a server
error page or an empty day stores nothing, so the next fetch asks again.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from http.client import HTTPException
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .errors import DumpError, PapertriageError
from .responses import parse_response

DayStatus = Literal["fetched", "had", "empty"]
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class FetchError(PapertriageError):
    """The API could not be reached or kept failing; what was fetched before is kept."""


class FetchConfig(BaseModel):
    """Where and how patiently to fetch (`[fetch]` in config.toml)."""

    base_url: str = "https://huggingface.co"
    """The site; `PAPERTRIAGE_API_URL` overrides it (tests point it at a local server)."""
    timeout: float = Field(default=30.0, gt=0)
    """Seconds to wait for the server to answer or send more."""
    retries: int = Field(default=3, ge=0)
    """Further tries after a failure that may pass (no connection, a timeout, a 5xx or 429)."""
    backoff: float = Field(default=2.0, ge=0)
    """Seconds before the first retry, doubling before each next one."""


class Day(BaseModel):
    """What fetching one day did."""

    date: dt.date
    status: DayStatus
    """`fetched` (downloaded now), `had` (fetched before), `empty` (no papers yet: not kept)."""
    papers: int = 0
    path: str | None = None


def responses_dir() -> Path:
    """Where fetched responses are kept: $PAPERTRIAGE_RESPONSES, else `responses/` in the user
    data directory, beside the default library."""
    env = os.environ.get("PAPERTRIAGE_RESPONSES")
    if env:
        return Path(env)
    from platformdirs import user_data_path

    return user_data_path("papertriage", appauthor=False) / "responses"


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The weekdays from `first` to `last`: Daily Papers appear Monday to Friday."""
    span = (last - first).days
    every = (first + dt.timedelta(days=n) for n in range(span + 1))
    return [day for day in every if day.weekday() < 5]


def day_url(config: FetchConfig, day: dt.date) -> str:
    query = urllib.parse.urlencode({"date": day.isoformat()})
    return f"{config.base_url.rstrip('/')}/api/daily_papers?{query}"


def _why(exc: BaseException) -> str:
    """A one-line reason for a failed request."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, TimeoutError) or (
        isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, TimeoutError)
    ):
        return "no answer in time"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        return str(reason.strerror or reason if isinstance(reason, OSError) else reason)
    if isinstance(exc, HTTPException):
        return f"the response was cut short ({type(exc).__name__})"
    return str(exc)


def _download(url: str, config: FetchConfig) -> bytes:
    """The body of `url`, whole: `read()` raises when fewer bytes come than announced."""
    request = urllib.request.Request(url, headers={"User-Agent": "papertriage"})
    with urllib.request.urlopen(request, timeout=config.timeout) as answer:
        body: bytes = answer.read()
        return body


def _attempts(config: FetchConfig, sleep: Callable[[float], None]) -> Iterator[int]:
    """Attempt numbers, sleeping the backoff before each retry."""
    for attempt in range(config.retries + 1):
        if attempt:
            sleep(config.backoff * 2 ** (attempt - 1))
        yield attempt


def fetch_day(
    day: dt.date,
    directory: Path,
    config: FetchConfig,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Day:
    """Download one day's response into `directory`, with retries; raise FetchError when it
    cannot be had. Written to a temporary name and renamed, so a file there is whole."""
    url = day_url(config, day)
    name = f"{day.isoformat()}.json"
    last = ""
    for _ in _attempts(config, sleep):
        try:
            body = _download(url, config)
            papers = parse_response(body, url, day)
        except urllib.error.HTTPError as exc:
            if exc.code not in _RETRY_STATUSES:
                raise FetchError(f"{url}: {_why(exc)}; nothing stored for {day}") from None
            last = _why(exc)
        except (urllib.error.URLError, TimeoutError, HTTPException, ConnectionError) as exc:
            last = _why(exc)
        except DumpError as exc:  # arrived, but not whole or not a response
            last = f"not a Daily Papers response ({exc.reason})"
        else:
            if not papers:
                return Day(date=day, status="empty")
            directory.mkdir(parents=True, exist_ok=True)
            partial = directory / f".{name}.partial"
            partial.write_bytes(body)
            partial.replace(directory / name)
            return Day(date=day, status="fetched", papers=len(papers), path=str(directory / name))
    tries = config.retries + 1
    raise FetchError(
        f"{url}: {last} ({tries} tr{'ies' if tries > 1 else 'y'}; offline?); nothing stored for"
        f" {day}"
    )


def fetch_days(
    days: Iterable[dt.date],
    directory: Path,
    config: FetchConfig,
    *,
    force: bool = False,
    on_day: Callable[[Day], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[Day], FetchError | None]:
    """Fetch each day not fetched yet (every day with `force`), in order; stop at the first
    that cannot be had. Returns the days done and that failure, if any: what was fetched before
    it is kept and still to be ingested."""
    done: list[Day] = []
    for day in days:
        kept = directory / f"{day.isoformat()}.json"
        try:
            result = (
                Day(date=day, status="had", path=str(kept))
                if kept.is_file() and not force
                else fetch_day(day, directory, config, sleep=sleep)
            )
        except FetchError as exc:
            return done, exc
        except OSError as exc:
            return done, FetchError(f"{kept}: cannot write ({exc.strerror}); nothing stored")
        done.append(result)
        if on_day is not None:
            on_day(result)
    return done, None
