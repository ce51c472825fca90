"""Tagging speed: what the tagging stage adds to an ingest of N distinct papers, on its own.

    python benchmarks/tagging_speed.py 100000

N distinct papers are made from the corpus (a real title with another paper's name before the
colon; the first half of one real abstract and the second half of another), written as dumps of
200 and ingested into a fresh library without tagging. Then the library is tagged as an ingest
tags it (`tag_pending`: read, tag, write), once with rules alone in one process, once with rules
and model in one process, and once with rules and model in worker processes (what an ingest of
that size does). CPU time is summed over the processes.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from pathlib import Path

from papertriage import library
from papertriage.ingest import ingest_paths
from papertriage.store import Store
from papertriage.tagging import default_taxonomy

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "papers.jsonl"
PER_DUMP = 200


def build(n: int, folder: Path) -> None:
    papers = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines()]
    rng = random.Random(7)
    for start in range(0, n, PER_DUMP):
        chunks = ["Daily Papers", "Sep 26"]
        for i in range(start, min(n, start + PER_DUMP)):
            a, b = rng.choice(papers), rng.choice(papers)
            name = b["title"].split(":")[0][:40]
            title = f"{name} {i}: {a['title'].split(':')[-1].strip()}"
            first, second = a["abstract"], b["abstract"]
            abstract = first[: len(first) // 2] + " " + second[len(second) // 2 :]
            chunks += [title, abstract]
        (folder / f"d{start // PER_DUMP:05d}-2025.txt").write_text("\n\n".join(chunks), "utf-8")


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        dumps = Path(folder) / "dumps"
        dumps.mkdir()
        build(args.n, dumps)
        with Store(Path(folder) / "library.db") as store:
            ingest_paths(store, sorted(dumps.iterdir()))
            papers = store.count_papers_to_tag(None)
            print(f"{papers} papers\n")
            print(f"{'tagging':<34}{'wall s':>8}{'cpu s':>8}{'us/paper':>10}")
            tax = default_taxonomy()
            runs = [
                ("rules alone, one process", "rules", 10**9),
                ("rules + model, one process", "both", 10**9),
                ("rules + model, worker processes", "both", 0),
            ]
            for label, mode, pool_at in runs:
                library._POOL_AT = pool_at  # the size from which tag_pending starts workers
                tagger = library.tagger(store, tax, mode)  # type: ignore[arg-type]
                wall, used = time.perf_counter(), cpu()
                library.tag_pending(store, tagger, everything=True)
                wall, used = time.perf_counter() - wall, cpu() - used
                print(f"{label:<34}{wall:>8.1f}{used:>8.1f}{1e6 * wall / papers:>10.0f}")


if __name__ == "__main__":
    main()
