"""Tagging quality and speed: the default taxonomy against the seed gold labels and the corpus.

Prints per-tag precision, recall, F1 and support on the gold set, micro/macro averages, the
worst misses, and for each tag how many of the ~10k corpus papers it tags and how long that takes.

    python benchmarks/tagging_quality.py [--gold FILE] [--corpus FILE] [--misses N]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from papertriage.normalize import title_key
from papertriage.parse import read_dump
from papertriage.tagging import (
    EvalReport,
    Taxonomy,
    default_taxonomy,
    evaluate,
    load_gold,
    tag_paper,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"


def seed_papers(seed_dir: Path) -> dict[str, tuple[str, str]]:
    """Title and abstract of every paper in the seed dumps, keyed by title key."""
    return {
        title_key(record.title): (record.title, record.abstract)
        for path in sorted(seed_dir.glob("*.txt"))
        for record in read_dump(path)
    }


def gold_report(tax: Taxonomy, gold_path: Path, seed_dir: Path) -> EvalReport:
    papers = seed_papers(seed_dir)
    predicted = {key: tag_paper(tax, title, abstract) for key, (title, abstract) in papers.items()}
    return evaluate(predicted, load_gold(gold_path), tag_order=list(tax.tags))


def print_report(report: EvalReport, corpus_counts: Counter[str], misses: int) -> None:
    print(
        f"{'tag':<24}{'prec':>7}{'rec':>7}{'f1':>7}{'supp':>6}{'tp':>5}{'fp':>5}{'fn':>5}"
        f"{'corpus':>8}"
    )
    for row in report.per_tag:
        flag = "  <" if row.support >= 3 and row.f1 < 0.7 else ""
        print(
            f"{row.tag:<24}{row.precision:>7.2f}{row.recall:>7.2f}{row.f1:>7.2f}"
            f"{row.support:>6}{row.tp:>5}{row.fp:>5}{row.fn:>5}{corpus_counts[row.tag]:>8}{flag}"
        )
    print(
        f"\nmicro P {report.micro_precision:.3f}  R {report.micro_recall:.3f}  "
        f"F1 {report.micro_f1:.3f}   macro F1 {report.macro_f1:.3f}   "
        f"evaluated {report.evaluated}, unmatched {len(report.unmatched)}"
    )
    for title in report.unmatched:
        print(f"  unmatched: {title}")
    if misses:
        print(f"\nworst {misses} misses:")
        for miss in report.misses[:misses]:
            print(
                f"  -{','.join(miss.missing) or '.'} +{','.join(miss.extra) or '.'}  {miss.title}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=SHARED / "gold" / "seed-tags.jsonl")
    parser.add_argument("--seeds", type=Path, default=SHARED / "seeds")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "papers.jsonl")
    parser.add_argument("--misses", type=int, default=15)
    args = parser.parse_args()

    tax = default_taxonomy()
    report = gold_report(tax, args.gold, args.seeds)

    papers = [json.loads(line) for line in args.corpus.read_text("utf-8").splitlines()]
    start = time.perf_counter()
    corpus_counts: Counter[str] = Counter()
    untagged = 0
    for paper in papers:
        tags = tag_paper(tax, paper["title"], paper["abstract"])
        corpus_counts.update(tags)
        untagged += not tags
    elapsed = time.perf_counter() - start

    print_report(report, corpus_counts, args.misses)
    print(
        f"\ncorpus: {len(papers)} papers tagged in {elapsed:.2f} s "
        f"({1e6 * elapsed / len(papers):.0f} us a paper), {untagged} untagged"
    )


if __name__ == "__main__":
    main()
