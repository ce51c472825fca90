"""Views of tags: the taxonomy with counts, explanations, evaluations, a paper's tags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from .base import (
    Format,
    clean,
    emit,
    literal,
    new_table,
    short_id,
    stdout_console,
    write_csv,
    write_json,
    write_jsonl,
)

if TYPE_CHECKING:
    from ..library import TagExplanation
    from ..tagging import EvalReport, Taxonomy


def show_tags(taxonomy: Taxonomy, counts: Mapping[str, tuple[int, int]], fmt: Format) -> None:
    """Every tag with its description and paper count (tags only the user gave are listed too)."""
    rows: list[dict[str, Any]] = []
    for name, tag in taxonomy.tags.items():
        papers, yours = counts.get(name, (0, 0))
        rows.append(
            {
                "tag": name,
                "description": tag.description,
                "papers": papers,
                "by_user": yours,
                "enabled": tag.enabled,
            }
        )
    for name, (papers, yours) in sorted(counts.items()):
        if name not in taxonomy.tags:
            rows.append(
                {
                    "tag": name,
                    "description": "",
                    "papers": papers,
                    "by_user": yours,
                    "enabled": False,
                }
            )

    def table() -> Table:
        view = new_table("tag", "papers", "description")
        view.columns[2].overflow = "fold"
        for row in rows:
            count = str(row["papers"]) + (f" ({row['by_user']} yours)" if row["by_user"] else "")
            style = "cyan" if row["enabled"] else "dim strike"
            view.add_row(Text(row["tag"], style=style), count, literal(row["description"]))
        return view

    emit(rows, fmt, ["tag", "papers", "by_user", "enabled", "description"], table)


def show_explanation(explanation: TagExplanation, fmt: Format) -> None:
    data = explanation.model_dump(mode="json")
    if fmt in (Format.json, Format.jsonl):
        (write_json if fmt is Format.json else lambda d: write_jsonl([d]))(data)
        return
    if fmt is Format.csv:
        rows = [
            {
                "tag": score.tag,
                "score": score.score,
                "threshold": score.threshold,
                "assigned": score.assigned,
                "model": score.model,
                "evidence": score.evidence,
                "field": hit.field,
                "rule": hit.rule,
                "weight": hit.weight,
                "matched": hit.matched,
            }
            for score in explanation.scores
            for hit in score.hits
        ]
        write_csv(
            rows,
            [
                "tag",
                "score",
                "threshold",
                "assigned",
                "model",
                "evidence",
                "field",
                "rule",
                "weight",
                "matched",
            ],
        )
        return
    console = stdout_console()
    console.print(Text(clean(explanation.title), style="bold"))
    console.print(Text(f"{explanation.paper_id}", style="dim"))
    view = new_table(
        "tag",
        "rules",
        "rules that fired (weight, field: matched text)",
        "model",
        "words the model weighed most",
        "result",
    )
    view.columns[2].overflow = "fold"
    view.columns[4].overflow = "fold"
    for score in explanation.scores:
        hits = Text()
        for index, hit in enumerate(score.hits):
            if index:
                hits.append("\n")
            hits.append(f"{hit.weight:+g} ", style="green" if hit.weight > 0 else "red")
            hits.append(clean(hit.rule))
            hits.append(f"  {hit.field}: ", style="dim")
            hits.append(clean(hit.matched), style="italic")
        if score.via:
            hits.append(("\n" if score.hits else "") + score.via, style="dim")
        words = Text()
        for index, (feature, weight) in enumerate(score.features):
            if index:
                words.append(", ")
            words.append(clean(feature), style="green" if weight > 0 else "red")
        model = "-" if score.model is None else f"{score.model:.2f}"
        if score.tag in explanation.learned:
            model += "*"
        decided = explanation.decisions.get(score.tag)
        result = _tag_result(score.assigned, decided)
        view.add_row(
            score.tag, f"{score.score:g} / {score.threshold:g}", hits, model, words, result
        )
    for name, assigned in sorted(explanation.decisions.items()):
        if all(score.tag != name for score in explanation.scores):
            view.add_row(
                name, "-", Text("no rule fired", style="dim"), "-", "", _tag_result(False, assigned)
            )
    console.print(view)
    if explanation.learned:
        console.print(
            Text("* the model learned from your own tag decisions for this tag", style="dim")
        )


def _tag_result(assigned: bool, decided: bool | None) -> Text:
    if decided is True:
        return Text("added by you", style="bold cyan")
    if decided is False:
        return Text("removed by you", style="bold red")
    return Text("tagged", style="cyan") if assigned else Text("not tagged", style="dim")


def show_evaluation(report: EvalReport, fmt: Format, misses: int) -> None:
    data = report.model_dump(mode="json")
    if fmt is Format.json:
        write_json(data)
        return
    if fmt is Format.jsonl:
        write_jsonl(data["per_tag"])
        return
    if fmt is Format.csv:
        write_csv(
            data["per_tag"], ["tag", "precision", "recall", "f1", "support", "tp", "fp", "fn"]
        )
        return
    view = new_table("tag", "precision", "recall", "F1", "support", title="Tagger vs gold labels")
    for row in report.per_tag:
        view.add_row(
            row.tag, f"{row.precision:.2f}", f"{row.recall:.2f}", f"{row.f1:.2f}", str(row.support)
        )
    view.add_section()
    view.add_row(
        Text("micro", style="bold"),
        f"{report.micro_precision:.2f}",
        f"{report.micro_recall:.2f}",
        Text(f"{report.micro_f1:.3f}", style="bold"),
        "",
    )
    view.add_row(Text("macro", style="bold"), "", "", f"{report.macro_f1:.3f}", "")
    console = stdout_console()
    console.print(view)
    console.print(
        Text(
            f"{report.evaluated} papers evaluated, {len(report.unmatched)} gold titles not in"
            " the library",
            style="dim",
        )
    )
    if report.misses and misses:
        worst = new_table("title", "missing", "extra", title="Worst misses")
        worst.columns[0].overflow = "fold"
        for miss in report.misses[:misses]:
            worst.add_row(
                literal(miss.title),
                Text(", ".join(miss.missing), style="red"),
                Text(", ".join(miss.extra), style="yellow"),
            )
        console.print(worst)


def show_paper_tags(paper_id: str, tags: Mapping[str, str], fmt: Format) -> None:
    data = {"id": paper_id, "tags": sorted(tags), "tag_origins": dict(tags)}
    if fmt is Format.json:
        write_json(data)
    elif fmt is Format.jsonl:
        write_jsonl([data])
    elif fmt is Format.csv:
        write_csv(
            [{"id": paper_id, "tag": t, "origin": o} for t, o in tags.items()],
            ["id", "tag", "origin"],
        )
    else:
        line = Text(f"{short_id(paper_id)}: ")
        for index, (name, origin) in enumerate(sorted(tags.items())):
            line.append(", " if index else "")
            line.append(name, style="cyan")
            if origin == "user":
                line.append(" (yours)", style="dim")
        if not tags:
            line.append("no tags", style="dim")
        stdout_console().print(line)
