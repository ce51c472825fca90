"""Ingest + dedupe at scale: time and peak memory at N records, and blocking recall.

N records are drawn from ../shared/corpus/papers.jsonl: about N/4 distinct papers (the real
ones first; past the corpus, new papers made by giving a real title a new name before a colon
and another paper's abstract, so they look alike but are not the same), each seen about four
times, one sighting in ten with a small change (a typo, case, a dash or quote, LaTeX markup,
an abstract cut short). Records are written as dumps of 100 papers, ingested into a fresh
library in a child process, and the table shows the time and peak RSS of each stage.

At N = 10k it also compares the deduper's blocked candidate pairs with an exhaustive all-pairs
run over the same titles: the share of all-pairs candidates that blocking finds.

    python benchmarks/dedupe_scale.py 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from _child import peak_mib, run_in_child

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "papers.jsonl"
PER_DUMP = 100
SEED = 20240527
_SYLLABLES = ["ka", "lo", "mi", "ra", "te", "zu", "vo", "ne", "si", "da", "pe", "qu", "xi", "bo"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _name(rng: random.Random) -> str:
    word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
    return word.capitalize() + rng.choice(["", "Net", "-Bench", "LM", "-R1", "Former"])


def _small_change(title: str, abstract: str, rng: random.Random) -> tuple[str, str]:
    kind = rng.randrange(5)
    if kind == 0 and len(title) > 30:  # a typo: two neighbouring letters swapped
        i = rng.randrange(5, len(title) - 3)
        if title[i].isalpha() and title[i + 1].isalpha():
            title = title[:i] + title[i + 1] + title[i] + title[i + 2 :]
    elif kind == 1:
        title = title.lower() if rng.random() < 0.5 else title.title()
    elif kind == 2:
        title = title.replace("-", "–").replace(": ", " — ", 1)
    elif kind == 3 and ":" in title:
        name, rest = title.split(":", 1)
        title = f"$\\textbf{{{name}}}$:{rest}"
    else:
        abstract = abstract[: max(200, len(abstract) * 2 // 3)].rsplit(" ", 1)[0]
    return title, abstract


def build_dumps(n: int, folder: Path) -> int:
    """Write about n records as dumps under folder; return the exact number written."""
    rng = random.Random(SEED)
    corpus = [json.loads(line) for line in CORPUS.open(encoding="utf-8")]
    distinct = max(1, n // 4)
    papers: list[tuple[str, str]] = []
    for index in range(distinct):
        if index < len(corpus):
            papers.append((corpus[index]["title"], corpus[index]["abstract"]))
        else:
            base, other = rng.choice(corpus), rng.choice(corpus)
            papers.append((f"{_name(rng)}: {base['title']}", other["abstract"]))
    records: list[tuple[str, str]] = []
    while len(records) < n:
        title, abstract = papers[rng.randrange(distinct)]
        if rng.random() < 0.1:
            title, abstract = _small_change(title, abstract, rng)
        records.append((title, abstract))
    for start in range(0, n, PER_DUMP):
        chunk = records[start : start + PER_DUMP]
        number = start // PER_DUMP
        header = f"{_MONTHS[number % 12]} {number % 28 + 1}"
        body = "\n\n".join(f"{t}\n\n{a}" for t, a in chunk)
        (folder / f"dump-{number:06d}-2025.txt").write_text(f"{header}\n\n{body}\n", "utf-8")
    return len(records)


def child(n: int, work: Path) -> dict[str, float]:
    """Ingest, dedupe and tag in this process; report stage times and peak RSS.

    The ingest and dedupe stages each end with a checkpoint (the library file written), as
    closing the library after each command does; untimed, it would fall to a later stage.
    """
    from papertriage.ingest import ingest_paths
    from papertriage.library import tag_pending, tagger
    from papertriage.merging import dedupe_library
    from papertriage.store import Store
    from papertriage.tagging import default_taxonomy

    dumps = work / "dumps"
    dumps.mkdir()
    records = build_dumps(n, dumps)
    with Store(work / "library.db") as store:
        start = time.perf_counter()
        report = ingest_paths(store, [dumps])
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        ingested = time.perf_counter()
        summary = dedupe_library(store)
        # Copy the WAL into the library file, as closing does: part of the cost of storing.
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        deduped = time.perf_counter()
        tag_pending(store, tagger(store, default_taxonomy()))
        tagged = time.perf_counter()
        papers = store.conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    assert report.total("records") == records
    return {
        "records": records,
        "papers": papers,
        "titles": summary.considered,
        "merged": summary.merged,
        "ingest": ingested - start,
        "dedupe": deduped - ingested,
        "tag": tagged - deduped,
        "peak_mib": peak_mib(),
    }


def blocking_recall(n: int) -> tuple[int, int, float, float, float]:
    """(all-pairs candidates, found by blocking, recall, blocked s, exhaustive s) at n records."""
    from papertriage.dedupe import DedupeConfig, Entry, candidate_pairs
    from papertriage.parse import read_dump

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build_dumps(n, folder)
        seen: dict[str, Entry] = {}
        from papertriage.normalize import paper_id, title_key

        for path in sorted(folder.glob("*.txt")):
            for record in read_dump(path):
                variant = paper_id(title_key(record.title))
                seen.setdefault(
                    variant, Entry(id=variant, title=record.title, abstract=record.abstract)
                )
    entries = list(seen.values())
    config = DedupeConfig()
    start = time.perf_counter()
    blocked = set(candidate_pairs(entries, config))
    middle = time.perf_counter()
    exhaustive = set(candidate_pairs(entries, config, exhaustive=True))
    end = time.perf_counter()
    found = len(exhaustive & blocked)
    recall = found / len(exhaustive) if exhaustive else 1.0
    return len(exhaustive), found, recall, middle - start, end - middle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-recall", action="store_true", help="skip the all-pairs comparison")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.work)))
        return

    from rich.console import Console
    from rich.table import Table

    table = Table(title="papertriage ingest + dedupe at scale (2 cores)")
    columns = [
        "records",
        "papers",
        "titles",
        "merged",
        "ingest s",
        "dedupe s",
        "ingest+dedupe s",
        "records/s",
        "tag s",
        "peak MiB",
    ]
    for column in columns:
        table.add_column(column, justify="right")
    for n in args.sizes:
        r = run_in_child(__file__, str(n))
        if r is None:
            table.add_row(f"{n:,}", *["failed"] * (len(columns) - 1))
            continue
        both = r["ingest"] + r["dedupe"]
        table.add_row(
            f"{r['records']:,.0f}",
            f"{r['papers']:,.0f}",
            f"{r['titles']:,.0f}",
            f"{r['merged']:,.0f}",
            f"{r['ingest']:.1f}",
            f"{r['dedupe']:.1f}",
            f"{both:.1f}",
            f"{r['records'] / both:,.0f}",
            f"{r['tag']:.1f}",
            f"{r['peak_mib']:,.0f}",
        )
    console = Console(width=150)
    console.print(table)
    if not args.no_recall:
        pairs, found, recall, blocked_s, all_s = blocking_recall(10_000)
        console.print(
            f"blocking recall at 10k records: {found}/{pairs} all-pairs candidates found"
            f" ({recall:.2%}); blocked {blocked_s:.1f} s, exhaustive {all_s:.1f} s"
        )


if __name__ == "__main__":
    main()
