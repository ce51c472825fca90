"""One `papertriage ingest` of libraries of three shapes: time, peak memory, and the daily case.

The speed table of `dedupe_scale.py` holds for one shape (every paper seen about four times).
Users import other shapes, so this script generates three, from ../shared/corpus/papers.jsonl:

- `repeats`: about N/4 papers, each seen about four times (`dedupe_scale.py`'s shape).
- `distinct`: the corpus's papers three times each, the rest distinct papers: titles of real
  titles' lengths drawn from the corpus's title words, abstracts from its abstract words.
- `versions`: every paper in 18 numbered versions (`Title (v3)`), the same abstract each time.

Records are written as dumps of 200, ingested into a fresh library by one ingest (parse, store,
dedupe, tag, search index, and the checkpoint that closing does) in a child process, whose peak
memory is sampled with its tagging workers'. Then, on
that library and through the installed CLI as a user runs it: one day's dump of 50 new papers,
and `list --limit 20`, `search`, `show` and `next` (least of three runs each).

    python benchmarks/shapes.py 100000 1000000 --shape distinct
    python benchmarks/shapes.py --one-dump 256   # one version-heavy dump of 256 MB
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from _child import run_in_child
from dedupe_scale import build_dumps as repeats_dumps

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "papers.jsonl"
PER_DUMP = 200
VERSIONS = 18
SEED = 20261204
SHAPES = ("repeats", "distinct", "versions")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _corpus() -> list[tuple[str, str]]:
    with CORPUS.open(encoding="utf-8") as lines:
        return [(p["title"], p["abstract"]) for p in map(json.loads, lines)]


def made_up(corpus: list[tuple[str, str]], rng: random.Random) -> Iterator[tuple[str, str]]:
    """Endless distinct papers in the corpus's words: a real title's length in its title
    words, a real abstract's length in its abstract words (numbered, so no two are equal)."""
    title_words = sorted({w for t, _ in corpus for w in t.split() if not {*w} & {*".!?"}})
    abstract_words = [w for _, a in corpus[:2000] for w in a.split()]
    number = 0
    while True:
        title, abstract = corpus[rng.randrange(len(corpus))]
        words = rng.choices(title_words, k=len(title.split()))
        while len(words) > 4 and sum(map(len, words)) > 150:  # a title, not an abstract
            words.pop()
        if ":" in title and len(words) > 3:
            words[0] += ":"
        length = len(abstract.split())
        body = rng.choices(abstract_words, k=length)
        number += 1
        body.insert(rng.randrange(length), f"({number})")
        yield " ".join(words), " ".join(body)


def _write(records: list[tuple[str, str]], folder: Path) -> None:
    for start in range(0, len(records), PER_DUMP):
        chunk = records[start : start + PER_DUMP]
        number = start // PER_DUMP
        header = f"{_MONTHS[number % 12]} {number % 28 + 1}"
        body = "\n\n".join(f"{t}\n\n{a}" for t, a in chunk)
        (folder / f"dump-{number:06d}-2025.txt").write_text(f"{header}\n\n{body}\n", "utf-8")


def distinct_records(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """The corpus three times over (as far as n allows), then distinct made-up papers."""
    corpus = _corpus()
    records = (corpus * 3)[:n]
    fresh = made_up(corpus, rng)
    records += [next(fresh) for _ in range(n - len(records))]
    rng.shuffle(records)
    return records


def version_records(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """Papers (the corpus's, then made-up ones) in `VERSIONS` numbered versions each."""
    corpus = _corpus()
    papers = corpus[: -(-n // VERSIONS)]
    fresh = made_up(corpus, rng)
    papers += [next(fresh) for _ in range(-(-n // VERSIONS) - len(papers))]
    records = [
        (f"{title} (v{v})", abstract) for title, abstract in papers for v in range(1, VERSIONS + 1)
    ][:n]
    rng.shuffle(records)
    return records


def build(shape: str, n: int, folder: Path) -> int:
    """Write n records of a shape as dumps under folder; the number written."""
    if shape == "repeats":
        return repeats_dumps(n, folder)
    rng = random.Random(SEED)
    records = distinct_records(n, rng) if shape == "distinct" else version_records(n, rng)
    _write(records, folder)
    return len(records)


def one_dump(size_mb: int, path: Path) -> int:
    """One version-heavy dump of about size_mb MB (each corpus paper in numbered versions,
    pasted in order, version after version); the number of records."""
    corpus = _corpus()
    limit, written, count, version = size_mb * 1024 * 1024, 0, 0, 0
    with path.open("w", encoding="utf-8") as out:
        out.write("Daily Papers\n\n")
        while written < limit:
            version += 1
            for title, abstract in corpus:
                text = f"{title} (v{version})\n\n{abstract}\n\n"
                out.write(text)
                written += len(text.encode("utf-8"))
                count += 1
                if written >= limit:
                    break
    return count


def day_dump(path: Path) -> None:
    """One day's dump: 50 papers the library has never seen."""
    fresh = made_up(_corpus(), random.Random(SEED + 1))
    papers = [next(fresh) for _ in range(50)]
    body = "\n\n".join(f"{t}\n\n{a}" for t, a in papers)
    path.write_text(f"Dec 4\n\n{body}\n", "utf-8")


def _cli(db: Path, *args: str, stdin: str = "") -> float:
    """Seconds for `papertriage ARGS --db DB` as a user runs it (a fresh process)."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "papertriage", *args, "--db", str(db)],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        env={"NO_COLOR": "1", "COLUMNS": "100", "PATH": "/usr/bin:/bin"},
    )
    return time.perf_counter() - start


class TreePeak:
    """The peak of this process's RSS plus its live children's (tagging workers), sampled every
    20 ms. `ru_maxrss` of children counts a forked child's copy of its parent before it execs
    a new interpreter, and would count the parent twice."""

    def __init__(self) -> None:
        import threading

        self.peak = 0
        threading.Thread(target=self._watch, daemon=True).start()

    @staticmethod
    def _rss(pid: int | str) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return 0

    def _watch(self) -> None:
        me = os.getpid()
        while True:
            children = Path(f"/proc/{me}/task/{me}/children").read_text().split()
            total = self._rss(me) + sum(map(self._rss, children))
            self.peak = max(self.peak, total)
            time.sleep(0.02)

    def mib(self) -> float:
        return self.peak / 1024


def child(shape: str, n: int, work: Path) -> dict[str, float]:
    """Build a shape, ingest it in this process by stages, then time the daily commands."""
    from papertriage.ingest import ingest_paths
    from papertriage.library import remember_taxonomy, tag_pending, tagger
    from papertriage.merging import dedupe_library
    from papertriage.store import Store
    from papertriage.tagging import default_taxonomy

    dumps = work / "dumps"
    dumps.mkdir()
    if shape == "one-dump":
        records = one_dump(n, dumps / "versions-2025.txt")
    else:
        records = build(shape, n, dumps)
    db = work / "library.db"
    tree = TreePeak()
    start = time.perf_counter()
    with Store(db) as store:  # what `library.ingest` does, stage by stage
        taxonomy = default_taxonomy()
        remember_taxonomy(store, taxonomy)
        report = ingest_paths(store, [dumps])
        stored = time.perf_counter()
        summary = dedupe_library(store)
        deduped = time.perf_counter()
        tag_pending(store, tagger(store, taxonomy))
        tagged = time.perf_counter()
        store.sync_search_index()
        papers = store.conn.execute("SELECT count(*) FROM papers").fetchone()[0]
        some = store.conn.execute("SELECT id FROM papers ORDER BY id LIMIT 1").fetchone()[0]
    closed = time.perf_counter()
    assert report.total("records") == records
    result = {
        "records": records,
        "papers": papers,
        "merged": summary.merged,
        "candidates": summary.candidates,
        "store": stored - start,
        "dedupe": deduped - stored,
        "tag": tagged - deduped,
        "index": closed - tagged,
        "total": closed - start,
        "peak_mib": tree.mib(),
    }
    day = work / "day-2026.txt"
    day_dump(day)
    result["day"] = _cli(db, "ingest", str(day))
    queries = {
        "list": ("list", "--limit", "20"),
        "search": ("search", "reinforcement", "learning", "reasoning"),
        "show": ("show", some),
        "next": ("next",),
    }
    for name, args in queries.items():
        result[name] = min(_cli(db, *args, stdin="q\n") for _ in range(3))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000])
    parser.add_argument("--shape", choices=SHAPES, action="append")
    parser.add_argument("--one-dump", type=int, metavar="MB", help="one version-heavy dump")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.sizes[0], args.work)))
        return

    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    runs = [("one-dump", [args.one_dump])] if args.one_dump else []
    runs += [(shape, args.sizes) for shape in args.shape or ([] if args.one_dump else SHAPES)]
    for shape, sizes in runs:
        table = Table(title=f"one ingest, shape: {shape} (2 cores)")
        columns = ["records", "papers", "merged", "store s", "dedupe s", "tag s", "index s"]
        columns += ["total s", "peak MiB", "+50 papers s", "list", "search", "show", "next"]
        for column in columns:
            table.add_column(column, justify="right")
        for n in sizes:
            r = run_in_child(__file__, shape, str(n))
            if r is None:
                table.add_row(f"{n:,}", *["failed"] * (len(columns) - 1))
                continue
            table.add_row(
                f"{r['records']:,.0f}",
                f"{r['papers']:,.0f}",
                f"{r['merged']:,.0f}",
                *(f"{r[k]:.1f}" for k in ("store", "dedupe", "tag", "index", "total")),
                f"{r['peak_mib']:,.0f}",
                *(f"{r[k]:.2f}" for k in ("day", "list", "search", "show", "next")),
            )
        console.print(table)


if __name__ == "__main__":
    main()
