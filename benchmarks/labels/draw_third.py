"""Draw a third batch of papers to label for training only (never for measuring).

All of them chosen for the tags still weakest in cross-validation (transformer-theory, survey,
datasets, ai-for-science, state-space-models, recommender-systems): papers on which the current
tagger sees some evidence for one of them (`draw_more.near`), never drawn before (so never a
test paper). The evidence is that of the tagger at the commit that drew them.

    python benchmarks/labels/draw_third.py ../shared/corpus/papers.jsonl
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from draw_more import near

SEED = 20261206
SIZE = 500
WEAK = [
    "transformer-theory",
    "survey",
    "datasets",
    "ai-for-science",
    "state-space-models",
    "recommender-systems",
]
HERE = Path(__file__).parent


def main(corpus: Path) -> None:
    papers = [json.loads(line) for line in corpus.read_text("utf-8").splitlines() if line]
    drawn = {
        json.loads(line)["arxiv_id"]
        for name in ("sample.jsonl", "sample-more.jsonl")
        for line in (HERE / name).open()
    }
    pool = [paper for paper in papers if paper["arxiv_id"] not in drawn]
    candidates = near(pool, WEAK)
    chosen = random.Random(SEED).sample(candidates, min(SIZE, len(candidates)))
    with (HERE / "sample-third.jsonl").open("w", encoding="utf-8") as out:
        for paper in chosen:
            row = {key: paper[key] for key in ("arxiv_id", "date", "title", "abstract")}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
