"""Agreement of the tagger with tags a person gave, for `tags eval` and the quality benchmark."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from papertriage.errors import PapertriageError
from papertriage.normalize import title_key
from papertriage.tagging.taxonomy import key_path


class GoldItem(BaseModel):
    """A paper's title and the tags a person gave it."""

    model_config = ConfigDict(extra="ignore")

    title: str = Field(min_length=1)
    tags: list[str]


def load_gold(path: Path) -> list[GoldItem]:
    """Gold labels from JSONL, one `{"title", "tags"}` object a line; blank lines are skipped."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as exc:
        raise PapertriageError(f"{path}: cannot read the gold file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise PapertriageError(f"{path}: not UTF-8 text") from None
    items: list[GoldItem] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append(GoldItem.model_validate_json(line))
        except ValidationError as exc:
            error = exc.errors()[0]
            key = key_path(error["loc"])
            message = "not valid JSON" if error["type"] == "json_invalid" else error["msg"]
            where = f"{key}: " if key else ""
            raise PapertriageError(
                f'{path}:{number}: {where}{message} (expected {{"title": ..., "tags": [...]}})'
            ) from None
    return items


class TagEval(BaseModel):
    """Agreement with the gold labels for one tag."""

    tag: str
    precision: float
    recall: float
    f1: float
    support: int
    tp: int
    fp: int
    fn: int


class Miss(BaseModel):
    """A gold paper the tagger got wrong: the tags it missed and the ones it added."""

    title: str
    missing: list[str]
    extra: list[str]


class EvalReport(BaseModel):
    """Per-tag and averaged agreement, and the papers that disagree most, worst first."""

    per_tag: list[TagEval]
    micro_precision: float
    micro_recall: float
    micro_f1: float
    macro_f1: float
    misses: list[Miss]
    evaluated: int
    unmatched: list[str]


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def evaluate(
    predicted: Mapping[str, Sequence[str]],
    gold: Sequence[GoldItem],
    tag_order: Sequence[str] = (),
) -> EvalReport:
    """Compare predicted tags (keyed by `title_key(title)`) with gold labels.

    Gold titles with no prediction are listed as unmatched and left out of every count, so a
    missing paper is not mistaken for a paper with no tags. Tags are reported in `tag_order`,
    then any others by name; the macro average covers every tag that is in gold or predicted.
    """
    counts: dict[str, list[int]] = {}  # tag -> [tp, fp, fn]
    misses: list[Miss] = []
    unmatched: list[str] = []
    evaluated = 0
    for item in gold:
        key = title_key(item.title)
        if key not in predicted:
            unmatched.append(item.title)
            continue
        evaluated += 1
        want, got = set(item.tags), set(predicted[key])
        for tag in want | got:
            row = counts.setdefault(tag, [0, 0, 0])
            row[0 if tag in want and tag in got else 1 if tag in got else 2] += 1
        if want != got:
            misses.append(
                Miss(title=item.title, missing=sorted(want - got), extra=sorted(got - want))
            )
    position = {tag: index for index, tag in enumerate(tag_order)}
    names = sorted(counts, key=lambda tag: (position.get(tag, len(position)), tag))
    per_tag = []
    for tag in names:
        tp, fp, fn = counts[tag]
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        per_tag.append(
            TagEval(
                tag=tag,
                precision=precision,
                recall=recall,
                f1=_f1(precision, recall),
                support=tp + fn,
                tp=tp,
                fp=fp,
                fn=fn,
            )
        )
    tp = sum(row.tp for row in per_tag)
    micro_p = _ratio(tp, tp + sum(row.fp for row in per_tag))
    micro_r = _ratio(tp, tp + sum(row.fn for row in per_tag))
    misses.sort(key=lambda miss: -(len(miss.missing) + len(miss.extra)))
    return EvalReport(
        per_tag=per_tag,
        micro_precision=micro_p,
        micro_recall=micro_r,
        micro_f1=_f1(micro_p, micro_r),
        macro_f1=_ratio(sum(row.f1 for row in per_tag), len(per_tag)),
        misses=misses,
        evaluated=evaluated,
        unmatched=unmatched,
    )
