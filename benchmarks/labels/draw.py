"""Draw the hand-labelled tagging sample from the corpus: stratified by featured month, seeded.

Run once; its output (`sample.jsonl`) is what was handed to the labellers, in a shuffled order
that hides which papers went to the test part. Kept so that the draw can be checked and redone.

    python benchmarks/labels/draw.py ../shared/corpus/papers.jsonl ../shared/gold/seed-tags.jsonl
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

SEED = 20261204
SIZE = 910
TEST = 350
HERE = Path(__file__).parent


def main(corpus: Path, seed_gold: Path) -> None:
    papers = [json.loads(line) for line in corpus.read_text("utf-8").splitlines() if line]
    gold = seed_gold.read_text("utf-8").splitlines()
    seen = {json.loads(line)["title"].casefold() for line in gold if line}
    by_month: dict[str, list[dict[str, str]]] = defaultdict(list)
    for paper in papers:
        if paper["title"].casefold() not in seen:
            by_month[paper["date"][:7]].append(paper)
    total = sum(len(group) for group in by_month.values())
    rng = random.Random(SEED)
    drawn: list[dict[str, str]] = []
    # largest-remainder allocation, so every month gets its share of SIZE
    quotas = {month: SIZE * len(group) / total for month, group in by_month.items()}
    counts = {month: int(quota) for month, quota in quotas.items()}
    left = SIZE - sum(counts.values())
    for month in sorted(quotas, key=lambda m: quotas[m] - counts[m], reverse=True)[:left]:
        counts[month] += 1
    for month in sorted(by_month):
        drawn.extend(rng.sample(by_month[month], counts[month]))
    rng.shuffle(drawn)
    test = {paper["arxiv_id"] for paper in rng.sample(drawn, TEST)}
    with (HERE / "sample.jsonl").open("w", encoding="utf-8") as out:
        for paper in drawn:
            row = {key: paper[key] for key in ("arxiv_id", "date", "title", "abstract")}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    (HERE / "test-ids.txt").write_text("".join(f"{i}\n" for i in sorted(test)), "utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
