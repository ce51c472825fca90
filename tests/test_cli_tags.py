"""Tags through the CLI: assignment at ingest, filters, explanations, manual decisions, retag."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .conftest import DUMPS, SHARED, Cli

GOLD = SHARED / "gold" / "seed-tags.jsonl"


def listed(cli: Cli, *args: str) -> list[dict[str, object]]:
    result = cli("list", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


def find(cli: Cli, title_start: str) -> dict[str, object]:
    return next(p for p in listed(cli) if str(p["title"]).startswith(title_start))


def test_ingest_tags_every_paper(cli: Cli) -> None:
    cli("ingest", str(DUMPS))
    papers = listed(cli)
    assert all(isinstance(p["tags"], list) for p in papers)
    assert sum(bool(p["tags"]) for p in papers) > 100  # gold: 129 of 146 have a tag
    gym = find(cli, "DeepResearchGym")
    assert {"deep-research", "agents", "benchmarks"} <= set(gym["tags"])  # type: ignore[arg-type]


def test_list_by_tag(cli: Cli) -> None:
    cli("ingest", str(DUMPS))
    deep = listed(cli, "--tag", "deep-research")
    assert 15 <= len(deep) <= 25
    assert all("deep-research" in p["tags"] for p in deep)  # type: ignore[operator]
    both = listed(cli, "--tag", "deep-research", "--tag", "survey")
    assert both and all({"deep-research", "survey"} <= set(p["tags"]) for p in both)  # type: ignore[arg-type]
    either = listed(cli, "--any-tag", "state-space-models", "--any-tag", "recommender-systems")
    assert all(
        {"state-space-models", "recommender-systems"} & set(p["tags"])  # type: ignore[arg-type]
        for p in either
    )
    untagged = listed(cli, "--untagged")
    assert all(p["tags"] == [] for p in untagged)
    assert len(untagged) + len(listed(cli, "--any-tag", *_all_tag_options(cli))) == 146


def _all_tag_options(cli: Cli) -> list[str]:
    rows = json.loads(cli("tags", "--format", "json").stdout)
    options: list[str] = []
    for row in rows:
        options += ["--any-tag", row["tag"]]
    return options[1:]


def test_unknown_tag_suggests_the_closest(cli: Cli) -> None:
    cli("ingest", str(DUMPS))
    result = cli("list", "--tag", "deep-reserch")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: unknown tag 'deep-reserch'; did you mean deep-research? (see `papertriage tags`)"
    )


def test_tags_overview(cli: Cli) -> None:
    cli("ingest", str(DUMPS))
    rows = json.loads(cli("tags", "--format", "json").stdout)
    assert [row["tag"] for row in rows][:3] == ["deep-research", "agents", "transformer-theory"]
    assert len(rows) == 16
    counts = {row["tag"]: row["papers"] for row in rows}
    assert counts["deep-research"] == len(listed(cli, "--tag", "deep-research"))
    assert "Deep-research agents" in cli("tags").stdout


def test_tags_overview_without_a_library(cli: Cli, library: Path) -> None:
    result = cli("tags", "--format", "csv")
    assert result.exit_code == 0 and result.stdout.startswith("tag,papers,by_user,enabled")
    assert not library.exists()


def test_manual_tags_beat_the_tagger_and_survive_retag_and_reingest(
    cli: Cli, tmp_path: Path
) -> None:
    dumps = tmp_path / "dumps"
    shutil.copytree(DUMPS, dumps)
    cli("ingest", str(dumps))
    gym = find(cli, "DeepResearchGym")
    paper = str(gym["id"])
    result = cli("tag", paper[:8], "-benchmarks", "+efficiency", "--format", "json")
    assert result.exit_code == 0, result.stderr
    decided = json.loads(result.stdout)
    assert "benchmarks" not in decided["tags"] and decided["tag_origins"]["efficiency"] == "user"
    assert cli("retag").exit_code == 0
    # A changed dump re-ingested (the paper's file is rewritten) keeps the decision too.
    for path in dumps.iterdir():
        path.write_text(path.read_text() + "\n")
    assert cli("ingest", str(dumps)).exit_code == 0
    tags = set(find(cli, "DeepResearchGym")["tags"])  # type: ignore[arg-type]
    assert "efficiency" in tags and "benchmarks" not in tags
    shown = json.loads(cli("show", paper, "--format", "json").stdout)
    assert shown["tag_origins"]["efficiency"] == "user"
    # =tag hands the decision back to the rules.
    cli("tag", paper, "=benchmarks", "=efficiency")
    tags = set(find(cli, "DeepResearchGym")["tags"])  # type: ignore[arg-type]
    assert "benchmarks" in tags and "efficiency" not in tags


def test_tag_command_errors(cli: Cli) -> None:
    cli("ingest", str(DUMPS))
    paper = str(listed(cli, "--limit", "1")[0]["id"])
    bad = cli("tag", paper, "efficiency")
    assert bad.exit_code == 1 and "+TAG to add" in bad.stderr
    unknown = cli("tag", paper, "+efficency")
    assert unknown.exit_code == 1 and "did you mean efficiency" in unknown.stderr


def test_explain(cli: Cli) -> None:
    cli("ingest", str(DUMPS))
    paper = str(find(cli, "DeepResearchGym")["id"])
    result = cli("tags", "explain", paper, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    scores = {s["tag"]: s for s in data["scores"]}
    deep = scores["deep-research"]
    assert deep["assigned"] and deep["score"] >= deep["threshold"]
    assert deep["hits"][0]["field"] == "title" and deep["hits"][0]["matched"]
    assert deep["model"] >= 0.5 and deep["evidence"] >= 0 and deep["features"]
    assert scores["agents"]["assigned"]  # its own evidence, else implied by deep-research
    human = cli("tags", "explain", paper)
    assert "model" in human.stdout and "tagged" in human.stdout


def test_eval_on_the_gold_set(cli: Cli) -> None:
    cli("ingest", str(DUMPS))
    result = cli("tags", "eval", str(GOLD), "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["evaluated"] == 146 and report["unmatched"] == []
    assert report["micro_f1"] >= 0.85
    for row in report["per_tag"]:
        if row["support"] >= 3:
            assert row["f1"] >= 0.7, row
    human = cli("tags", "eval", str(GOLD))
    assert "micro" in human.stdout and "Worst misses" in human.stdout


def test_user_taxonomy_changes_tags_after_retag(cli: Cli, tmp_path: Path) -> None:
    cli("ingest", str(DUMPS))
    before = len(listed(cli, "--tag", "survey"))
    custom = tmp_path / "taxonomy.toml"
    custom.write_text(
        "[tags.survey]\nenabled = false\n\n"
        '[tags.mixture-of-experts]\ndescription = "Mixture-of-experts models"\n'
        "rules = [{ regex = 'mixture[\\s-]of[\\s-]experts|\\bmoe\\b', weight = 3 }]\n"
    )
    assert before > 0
    stale = cli("list", "--tag", "efficiency", "--taxonomy", str(custom))
    assert "run `papertriage retag`" in stale.stderr
    assert cli("retag", "--taxonomy", str(custom)).exit_code == 0
    fresh = cli("list", "--tag", "efficiency", "--taxonomy", str(custom))
    assert fresh.exit_code == 0 and "retag" not in fresh.stderr
    moe = listed(cli, "--taxonomy", str(custom), "--tag", "mixture-of-experts")
    assert moe and all("mixture-of-experts" in p["tags"] for p in moe)  # type: ignore[operator]
    overview = json.loads(cli("tags", "--taxonomy", str(custom), "-f", "json").stdout)
    assert {"tag": "survey", "enabled": False}.items() <= next(
        r for r in overview if r["tag"] == "survey"
    ).items()
    assert next(r for r in overview if r["tag"] == "survey")["papers"] == 0


def test_malformed_taxonomy_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    custom = tmp_path / "taxonomy.toml"
    custom.write_text("[tags.efficiency]\nthreshold = 'high'\n")
    result = cli("ingest", str(DUMPS), "--taxonomy", str(custom))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {custom}: tags.efficiency.threshold")
    assert len(result.stderr.strip().splitlines()) == 1


def test_interrupted_tagging_is_finished_by_the_next_ingest(cli: Cli, library: Path) -> None:
    import sqlite3

    cli("ingest", str(DUMPS))
    conn = sqlite3.connect(library)
    conn.execute("DELETE FROM paper_tags")
    conn.execute("UPDATE papers SET tagged_with = NULL")
    conn.commit()
    conn.close()
    assert listed(cli, "--tag", "deep-research") == []
    assert cli("ingest", str(DUMPS)).exit_code == 0
    assert listed(cli, "--tag", "deep-research")


def test_a_taxonomy_given_once_is_remembered_by_the_library(cli: Cli, tmp_path: Path) -> None:
    moe = tmp_path / "tax.toml"
    rule = '{ regex = "deep[\\\\s-]?(?:research|search)", weight = 3 }'
    moe.write_text(f"[tags.deep-search]\nrules = [{rule}]\n", "utf-8")
    assert cli("ingest", str(DUMPS)).exit_code == 0
    assert cli("list", "--tag", "deep-search").exit_code != 0  # not a tag yet
    assert cli("retag", "--taxonomy", str(moe)).exit_code == 0
    tagged = listed(cli, "--tag", "deep-search")  # no --taxonomy: the library remembers it
    assert len(tagged) >= 10
    assert cli("retag").exit_code == 0  # a plain retag keeps the tag
    assert len(listed(cli, "--tag", "deep-search")) == len(tagged)
    moe.unlink()  # remembered as text, not as a path
    assert len(listed(cli, "--tag", "deep-search")) == len(tagged)
    assert cli("retag", "--default-taxonomy").exit_code == 0
    result = cli("list", "--tag", "deep-search")
    assert result.exit_code != 0 and "unknown tag" in result.stderr


def test_taxonomy_values_of_the_wrong_type_are_refused(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "tax.toml"
    bad.write_text('[tags.efficiency]\nenabled = "yes"\n', "utf-8")
    result = cli("tags", "--taxonomy", str(bad))
    assert result.exit_code == 1
    assert "tags.efficiency.enabled: must be true or false" in result.stderr
