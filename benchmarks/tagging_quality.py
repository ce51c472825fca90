"""Tagging quality: rules alone, the model alone and both, per tag, on labelled papers.

    python benchmarks/tagging_quality.py                 # the held-out test part and the seed gold
    python benchmarks/tagging_quality.py --cv            # + 5-fold cross-validation on the dev part
    python benchmarks/tagging_quality.py --gold F.jsonl  # any labels with title, abstract, tags
    python benchmarks/tagging_quality.py --sample TAG N  # N corpus papers given TAG, to read

The test part (`benchmarks/labels/test.jsonl`, 350 papers) was never used to write a rule,
choose a setting or train; the seed gold (`tagging/data/seed.jsonl`) and the dev part are what
the model learned from, so their "both"/"model" figures are training-set scores. `--cv` gives the
dev part's honest figure: each fifth is tagged by a model trained on the rest (and the seed), on
the feature space of the unlabelled corpus without the test part. Macro-F1 averages the tags with
support >= 3; "min R" is the lowest recall among tags with support >= 5.
"""

from __future__ import annotations

import argparse
import json
import random
import textwrap
from collections.abc import Sequence
from pathlib import Path

from papertriage.normalize import title_key
from papertriage.tagging import EvalReport, GoldItem, Mode, Tagger, default_taxonomy, evaluate
from papertriage.tagging.training import Labelled, feature_space, read_labelled, train

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared"
DATA = ROOT / "src" / "papertriage" / "tagging" / "data"
MODES: tuple[Mode, ...] = ("rules", "model", "both")


def load(path: Path) -> list[Labelled]:
    return read_labelled(path.read_text("utf-8").splitlines())


def report(
    papers: Sequence[Labelled], predicted: Sequence[list[str]], order: list[str]
) -> EvalReport:
    gold = [GoldItem(title=paper.title, tags=sorted(paper.tags)) for paper in papers]
    keyed = {title_key(paper.title): tags for paper, tags in zip(papers, predicted, strict=True)}
    return evaluate(keyed, gold, tag_order=order)


def summary(result: EvalReport) -> tuple[float, float, float]:
    """Micro-F1, macro-F1 over tags with support >= 3, and the lowest recall at support >= 5."""
    counted = [row for row in result.per_tag if row.support >= 3]
    macro = sum(row.f1 for row in counted) / len(counted) if counted else 0.0
    recalls = [row.recall for row in result.per_tag if row.support >= 5]
    return result.micro_f1, macro, min(recalls, default=0.0)


def print_table(name: str, results: dict[str, EvalReport]) -> None:
    print(f"\n## {name}\n")
    header = "".join(f"{mode + ' P/R/F1':>22}" for mode in results)
    print(f"{'tag':<24}{'support':>8}{header}")
    rows = {mode: {row.tag: row for row in result.per_tag} for mode, result in results.items()}
    for tag in next(iter(results.values())).per_tag:
        cells = ""
        for mode in results:
            row = rows[mode].get(tag.tag)
            cells += (
                f"{row.precision:>8.2f}{row.recall:>7.2f}{row.f1:>7.2f}" if row else f"{'-':>22}"
            )
        print(f"{tag.tag:<24}{tag.support:>8}{cells}")
    for label, index in (("micro-F1", 0), ("macro-F1 (n>=3)", 1), ("min recall (n>=5)", 2)):
        cells = "".join(f"{summary(result)[index]:>22.3f}" for result in results.values())
        print(f"{label:<32}{cells}")


def tag_all(tagger: Tagger, papers: Sequence[Labelled]) -> list[list[str]]:
    return tagger.tag_batch([(paper.title, paper.abstract) for paper in papers])


def cross_validate(
    dev: list[Labelled], seed: list[Labelled], corpus: Path
) -> dict[str, EvalReport]:
    tax = default_taxonomy()
    excluded = set((HERE / "labels" / "test-ids.txt").read_text("utf-8").split())
    rows = [json.loads(line) for line in corpus.read_text("utf-8").splitlines() if line]
    space = feature_space(
        [(r["title"], r["abstract"]) for r in rows if r["arxiv_id"] not in excluded]
    )
    order = list(tax.tags)
    shuffled = list(range(len(dev)))
    random.Random(1).shuffle(shuffled)
    folds = [shuffled[k::5] for k in range(5)]
    predicted: dict[str, list[list[str]]] = {mode: [[] for _ in dev] for mode in MODES}
    for fold in folds:
        held = set(fold)
        model = train([dev[i] for i in shuffled if i not in held] + seed, space, order)
        for mode in MODES:
            tags = tag_all(Tagger(tax, model=model, mode=mode), [dev[i] for i in fold])
            for index, tagged in zip(fold, tags, strict=True):
                predicted[mode][index] = tagged
    return {mode: report(dev, predicted[mode], order) for mode in MODES}


def print_sample(papers: list[dict[str, str]], tag: str, size: int, seed: int) -> None:
    """Random corpus papers the tagger gives `tag`, with what decided it: to read by hand."""
    tagger = Tagger(default_taxonomy())
    chosen = random.Random(seed).sample(papers, len(papers))
    shown = 0
    for paper in chosen:
        scores = {s.tag: s for s in tagger.explain(paper["title"], paper["abstract"])}
        score = scores.get(tag)
        if score is None or not score.assigned:
            continue
        fired = ", ".join(f"{hit.rule}={hit.matched!r}" for hit in score.hits) or "-"
        print(f"\n[{tag}: rules {score.score:g}/{score.threshold:g}, model {score.model}]")
        print(f"{paper['title']}\n  rules: {fired}")
        print(textwrap.indent(textwrap.fill(paper["abstract"][:420], 100), "  "))
        shown += 1
        if shown == size:
            break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", type=Path, default=HERE / "labels" / "test.jsonl")
    parser.add_argument("--gold", type=Path, help="labels to measure on instead of the test part")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "papers.jsonl")
    parser.add_argument("--cv", action="store_true", help="also cross-validate on the dev part")
    parser.add_argument("--sample", nargs=2, metavar=("TAG", "N"))
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    if args.sample:
        papers = [json.loads(line) for line in args.corpus.read_text("utf-8").splitlines()]
        print_sample(papers, args.sample[0], int(args.sample[1]), args.seed)
        return
    tax = default_taxonomy()
    order = list(tax.tags)
    taggers = {mode: Tagger(tax, mode=mode) for mode in MODES}
    sets = [("held-out test part", args.gold or args.test)]
    if args.gold is None:
        sets.append(("seed gold (training data)", DATA / "seed.jsonl"))
    for name, path in sets:
        papers = load(path)
        results = {mode: report(papers, tag_all(taggers[mode], papers), order) for mode in MODES}
        print_table(f"{name}: {len(papers)} papers ({path.name})", results)
    if args.cv:
        dev, seed = load(DATA / "labelled.jsonl"), load(DATA / "seed.jsonl")
        print_table(
            f"dev part, 5-fold cross-validation: {len(dev)} papers",
            cross_validate(dev, seed, args.corpus),
        )


if __name__ == "__main__":
    main()
