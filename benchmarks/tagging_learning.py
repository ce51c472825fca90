"""Learning from the user: how a tag improves as a simulated user corrects it.

    python benchmarks/tagging_learning.py

A user defines a tag of their own with a couple of rules (the shipped model knows nothing of
it), then goes through papers in a random order and corrects the tag wherever the tagger got it
wrong (`tag ID +x` or `-x`), until they made N corrections. After each N in 0, 10, 25, 50 the
tagger learns from those decisions (`Corrections`, as `retag` does) and is measured on the
held-out test part, which the user never saw. The user's papers come from the labelled
development part; the gold labels stand in for the user's judgement; figures are the mean of
five orders. (Default tags learn nothing from corrections: tried, it made them worse, since the
shipped model already learned them from the labelled papers; see `Tagger._learnable`.)
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from papertriage.tagging import Corrections, Tagger, load_taxonomy
from papertriage.tagging.training import Labelled, read_labelled

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "src" / "papertriage" / "tagging" / "data"
STEPS = (0, 10, 25, 50)
ORDERS = 5
# A user's own tags, each standing for a taxonomy topic whose gold labels judge it.
USER_TAGS = {
    "my-safety": (
        "security",
        """rules = [
  { regex = 'jailbreak', weight = 3 },
  { phrase = "adversarial attack", weight = 3 },
]""",
    ),
    "my-data": (
        "datasets",
        """rules = [{ regex = '(?:new|large[\\s-]scale) dataset', weight = 3 }]""",
    ),
}


def f1(tagger: Tagger, tag: str, gold: str, papers: list[Labelled]) -> tuple[float, float, float]:
    predicted = tagger.tag_batch([(p.title, p.abstract) for p in papers])
    tp = sum(tag in got and gold in p.tags for got, p in zip(predicted, papers, strict=True))
    fp = sum(tag in got and gold not in p.tags for got, p in zip(predicted, papers, strict=True))
    fn = sum(tag not in got and gold in p.tags for got, p in zip(predicted, papers, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def corrections_curve(
    taxonomy_path: Path, tag: str, gold: str
) -> list[tuple[int, float, float, float]]:
    dev = read_labelled((DATA / "labelled.jsonl").read_text("utf-8").splitlines())
    test = read_labelled((HERE / "labels" / "test.jsonl").read_text("utf-8").splitlines())
    taxonomy = load_taxonomy(taxonomy_path)
    base = Tagger(taxonomy)
    sums = {step: [0.0, 0.0, 0.0] for step in STEPS}
    for order in range(ORDERS):
        papers = dev[:]
        random.Random(order).shuffle(papers)
        background = [(p.title, p.abstract) for p in papers[-400:]]
        predicted = base.tag_batch([(p.title, p.abstract) for p in papers[:-400]])
        wrong = [
            ((paper.title, paper.abstract), {tag: gold in paper.tags})
            for paper, got in zip(papers, predicted, strict=False)
            if (tag in got) != (gold in paper.tags)
        ]
        for step in STEPS:
            corrections = Corrections(wrong[:step], background) if step else None
            result = f1(Tagger(taxonomy, corrections=corrections), tag, gold, test)
            for index, value in enumerate(result):
                sums[step][index] += value / ORDERS
    return [(step, *sums[step]) for step in STEPS]  # type: ignore[misc]


def main() -> None:
    print(f"{'tag (judged as)':<36}" + "".join(f"{f'{n} corrections':>17}" for n in STEPS))
    with tempfile.TemporaryDirectory() as folder:
        for name, (gold, rules) in USER_TAGS.items():
            path = Path(folder) / f"{name}.toml"
            path.write_text(f"[tags.{name}]\n{rules}\n", "utf-8")
            curve = corrections_curve(path, name, gold)
            print_curve(f"{name} (user tag; {gold})", curve)
    print("\neach cell: F1 (precision/recall) on the 350 test papers, mean of 5 orders")


def print_curve(label: str, curve: list[tuple[int, float, float, float]]) -> None:
    cells = "".join(f"{f'{f:.2f} ({p:.2f}/{r:.2f})':>17}" for _, p, r, f in curve)
    print(f"{label:<36}{cells}")


if __name__ == "__main__":
    main()
