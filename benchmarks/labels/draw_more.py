"""Draw a second batch of papers to label for training only (never for measuring).

Half at random from the corpus papers not drawn before, half chosen for the rare tags: papers
on which the tagger of the first round had some evidence (rules or model) for a tag with few
labelled examples, so that the labels teach those tags more (active learning). The test part
of the first draw is excluded, and so is every paper already labelled.

    python benchmarks/labels/draw_more.py ../shared/corpus/papers.jsonl
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from papertriage.tagging import Tagger, default_taxonomy

SEED = 20261205
RANDOM, TARGETED = 330, 320
RARE = [
    "deep-research",
    "transformer-theory",
    "state-space-models",
    "retrieval",
    "survey",
    "ai-for-science",
    "healthcare",
    "security",
    "recommender-systems",
    "datasets",
]
HERE = Path(__file__).parent


def near(papers: list[dict[str, str]], tags: list[str]) -> list[dict[str, str]]:
    """The papers near or past the line for one of `tags` by the current tagger's evidence:
    what it is least sure of, or most often wrong on."""
    tagger = Tagger(default_taxonomy())
    evidence = tagger.evidence([(paper["title"], paper["abstract"]) for paper in papers])
    columns = [tagger.names.index(tag) for tag in tags]
    return [paper for paper, row in zip(papers, evidence, strict=True) if max(row[columns]) > -2.5]


def main(corpus: Path) -> None:
    papers = [json.loads(line) for line in corpus.read_text("utf-8").splitlines() if line]
    drawn = {json.loads(line)["arxiv_id"] for line in (HERE / "sample.jsonl").open()}
    pool = [paper for paper in papers if paper["arxiv_id"] not in drawn]
    rng = random.Random(SEED)
    chosen = rng.sample(pool, RANDOM)
    taken = {paper["arxiv_id"] for paper in chosen}
    rest = [paper for paper in pool if paper["arxiv_id"] not in taken]
    candidates = near(rest, RARE)
    chosen += rng.sample(candidates, min(TARGETED, len(candidates)))
    rng.shuffle(chosen)
    with (HERE / "sample-more.jsonl").open("w", encoding="utf-8") as out:
        for paper in chosen:
            row = {key: paper[key] for key in ("arxiv_id", "date", "title", "abstract")}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
