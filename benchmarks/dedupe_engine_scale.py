"""Speed and memory of the dedupe engine alone (`find_duplicates`), from 10k to 1M entries.

Entries are the real corpus papers repeated with small random changes until N distinct title
keys exist (fixed seed): typos, case, dashes and quotes, LaTeX wrapped around a word, a word
swapped as in a revised title; abstracts cut short, given LaTeX, or left as they are. So a 1M
library holds about a hundred variants of every real paper: the worst case for blocking.

Each size runs in its own process; `peak` is that process's peak RSS (getrusage), `input` its
RSS once the entries are built, so `peak - input` is what the dedupe itself adds. Also printed:
blocking recall against all pairs (`candidate_pairs(..., exhaustive=True)`) at 10k, and the
incremental call (1k new entries against N old ones). Compare rows of one run: the machine is
shared and noisy.

    python benchmarks/dedupe_engine_scale.py [--sizes 10000,100000,1000000] [--no-recall]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import papers
from dedupe_quality import title_typo
from papertriage.dedupe import DedupeConfig, Entry, candidate_pairs, find_duplicates
from papertriage.normalize import fold, paper_id

SEED = 20240527
_LATEX = [r"\textbf{%s}", r"$\mathrm{%s}$", r"\emph{%s}"]
_SWAPS = [(" for ", " in "), (" with ", " via "), (" and ", " & "), (" of ", " for ")]


def _typo(rng: random.Random, title: str) -> str:
    return title_typo(rng, title) or title


def _title_change(rng: random.Random, title: str) -> str:
    kind = rng.random()
    if kind < 0.55:
        return _typo(rng, title)
    if kind < 0.7:
        return rng.choice([title.lower(), title.upper(), title.title()])
    if kind < 0.8:
        return title.replace(":", " -", 1).replace("-", "–", 1)
    if kind < 0.9:
        words = title.split(" ")
        index = rng.randrange(len(words))
        if words[index].isalpha():
            words[index] = rng.choice(_LATEX) % words[index]
        return " ".join(words)
    swaps = [(a, b) for a, b in _SWAPS if a in title]
    if not swaps:
        return _typo(rng, title)
    old, new = rng.choice(swaps)
    return title.replace(old, new, 1)


def _abstract_change(rng: random.Random, abstract: str) -> str:
    kind = rng.random()
    if kind < 0.6:
        return abstract  # the same string object: a repeat costs no memory
    if kind < 0.85:
        cut = int(len(abstract) * rng.uniform(0.4, 0.9))
        return abstract[:cut].rsplit(" ", 1)[0]
    return abstract.replace("%", r"\%").replace(" the ", r" \textbf{the} ", 1)


def build_entries(size: int, seed: int = SEED) -> list[Entry]:
    """`size` distinct title keys: up to half real papers, then variants of random ones of them."""
    rng = random.Random(seed)
    corpus = papers()
    seen: set[str] = set()
    entries: list[Entry] = []

    def add(title: str, abstract: str) -> None:
        key = fold(title)
        if key and key not in seen:
            seen.add(key)
            entries.append(Entry.model_construct(id=paper_id(key), title=title, abstract=abstract))

    originals = corpus[: size // 2]
    for paper in originals:
        add(paper["title"], paper["abstract"])
    while len(entries) < size:
        paper = originals[rng.randrange(len(originals))]
        title = paper["title"]
        for _ in range(rng.randint(1, 3)):
            title = _title_change(rng, title)
        add(re.sub(r"\s+", " ", title).strip(), _abstract_change(rng, paper["abstract"]))
    return entries


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run_child(kind: str, size: int) -> dict[str, Any]:
    """Runs in a child process: build the entries, time one call, report peak RSS."""
    if kind == "incremental":
        entries = build_entries(size + 1000)
        new_ids = {entry.id for entry in entries[size:]}
        # the new entries are the last ones, as at ingest
    else:
        entries = build_entries(size)
        new_ids = None
    before = _rss_mib()
    started = time.perf_counter()
    cpu = time.process_time()
    if kind == "recall":
        config = DedupeConfig()
        blocked = candidate_pairs(entries, config)
        seconds = time.perf_counter() - started
        exhaustive = candidate_pairs(entries, config, exhaustive=True)
        found = len(set(exhaustive) & set(blocked))
        return {"pairs": len(exhaustive), "found": found, "seconds": seconds}
    result = find_duplicates(entries, new_ids=new_ids)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": wall,
        "cpu": cpu,
        "input_mib": before,
        "peak_mib": peak,
        "clusters": len(result.clusters),
        "merged": sum(len(cluster.ids) for cluster in result.clusters),
        "candidates": len(result.candidates),
    }


def child(kind: str, size: int) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(size)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(output.splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--no-recall", action="store_true", help="skip the all-pairs run")
    parser.add_argument("--no-incremental", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child[0], int(args.child[1]))))
        return
    sizes = [int(size) for size in args.sizes.split(",")]
    print(
        f"{'call':<24}{'entries':>10}{'seconds':>9}{'cpu s':>8}{'input MiB':>11}"
        f"{'peak MiB':>10}{'clusters':>10}{'merged':>9}{'review':>8}"
    )
    kinds = ["full"] + ([] if args.no_incremental else ["incremental"])
    for kind in kinds:
        for size in sizes:
            row = child(kind, size)
            name = "find_duplicates" if kind == "full" else "incremental (1k new)"
            print(
                f"{name:<24}{size:>10,}{row['seconds']:>9.2f}{row['cpu']:>8.2f}"
                f"{row['input_mib']:>11.0f}{row['peak_mib']:>10.0f}{row['clusters']:>10,}"
                f"{row['merged']:>9,}{row['candidates']:>8,}",
                flush=True,
            )
    if not args.no_recall:
        row = child("recall", 10_000)
        print(
            f"\nblocking recall at 10k: {row['found']}/{row['pairs']} pairs of all-pairs "
            f"({100 * row['found'] / max(row['pairs'], 1):.2f}%), blocked in {row['seconds']:.1f}s"
        )


if __name__ == "__main__":
    main()
