"""One huge dump ("a year of pages pasted into one file"): ingest time and peak memory.

Builds a single dump of --size-mb megabytes by pasting the corpus's daily pages (chrome, date
line and all) one after another, over and over, then ingests it into a fresh library in a child
process and prints records, seconds, records/s and the child's peak RSS. The parser streams, so
peak memory should stay flat as the dump grows: compare --size-mb 64, 256 and 1024 in one run.

    python benchmarks/big_dump.py --size-mb 64 256 1024
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from _child import peak_mib, run_in_child

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT.parent / "shared" / "corpus" / "dumps"


def build(target: Path, size_mb: int) -> None:
    pages = [path.read_text("utf-8") for path in sorted(PAGES.glob("*.txt"))]
    limit = size_mb * 1024 * 1024
    written = 0
    with target.open("w", encoding="utf-8") as out:
        while written < limit:
            for page in pages:
                out.write(page + "\n\n")
                written += len(page.encode("utf-8")) + 2
                if written >= limit:
                    break


def child(size_mb: int, work: Path) -> dict[str, float]:
    from papertriage.library import ingest
    from papertriage.store import Store
    from papertriage.tagging import default_taxonomy

    dump = work / "year-2025.txt"
    build(dump, size_mb)
    start = time.perf_counter()
    with Store(work / "library.db") as store:
        outcome = ingest(store, [dump], default_taxonomy())
    elapsed = time.perf_counter() - start
    return {
        "mb": dump.stat().st_size / 1e6,
        "records": outcome.report.total("records"),
        "seconds": elapsed,
        "peak_mib": peak_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.work)))
        return

    from rich.console import Console
    from rich.table import Table

    table = Table(title="one big dump: ingest (parse, store, dedupe, tag, index)")
    for column in ("dump MB", "records", "seconds", "records/s", "peak RSS MiB"):
        table.add_column(column, justify="right")
    for size in args.size_mb:
        r = run_in_child(__file__, str(size))
        if r is None:
            table.add_row(str(size), "failed", "", "", "")
            continue
        table.add_row(
            f"{r['mb']:,.0f}",
            f"{r['records']:,.0f}",
            f"{r['seconds']:.1f}",
            f"{r['records'] / r['seconds']:,.0f}",
            f"{r['peak_mib']:,.0f}",
        )
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
