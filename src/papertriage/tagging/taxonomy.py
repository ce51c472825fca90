"""The taxonomy: tags, their rules and thresholds, as shipped and as a user's file changes them.

Loading turns every mistake in a taxonomy file into a `TaxonomyError` that names the file and
the key (`tags.agents.rules[2].weight: must be a number`), since users write these files by hand.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from papertriage.errors import TaxonomyError
from papertriage.tagging.index import FastScorer
from papertriage.tagging.matching import Matcher, compile_matcher

# Bump when the scoring itself changes, so stores that saved an older fingerprint retag.
ENGINE_VERSION = 2


class Rule(BaseModel):
    """One piece of evidence for a tag: a phrase or a regex, and what a match is worth.

    Both match from the start of a word, in lower-cased text. Negative weights mark evidence
    against the tag (a survey that merely lists agents as one topic); `field` limits a rule to
    the title or the abstract.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    phrase: str | None = None
    regex: str | None = None
    weight: float
    field: Literal["any", "title", "abstract"] = "any"

    _matcher: Matcher = PrivateAttr()

    @model_validator(mode="after")
    def _compile(self) -> Rule:
        if (self.phrase is None) == (self.regex is None):
            raise ValueError("give exactly one of `phrase` or `regex`")
        if self.weight == 0:
            raise ValueError("weight: must not be 0")
        self._matcher = compile_matcher(self.phrase, self.regex)
        return self

    @property
    def pattern(self) -> str:
        """The rule as a person reads it: `"phrase"` or `/regex/`."""
        return f'"{self.phrase}"' if self.phrase is not None else f"/{self.regex}/"

    def search(self, text: str) -> str | None:
        """The text this rule matches in `text` (as `prepare_text` returns it), or None."""
        return self._matcher.search(text)


# One tag ready to score: name, threshold, and per rule (rule, matcher, title and abstract
# weight; 0 where the rule does not apply).
PlannedTag = tuple[str, float, tuple[tuple[Rule, Matcher, float, float], ...]]


class TagDef(BaseModel):
    """A tag of the taxonomy: what it means, how it is recognised, and what it brings along."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: str
    description: str = ""
    rules: list[Rule] = Field(default_factory=list)
    threshold: float = Field(default=3.0, gt=0)
    enabled: bool = True
    implies: list[str] = Field(default_factory=list)


class Taxonomy(BaseModel):
    """The tags in display order, and how much a title match outweighs an abstract match."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    title_factor: float = Field(default=2.0, ge=1)
    model: bool = True
    """Whether the learned model decides along with the rules (false: rules alone)."""
    tags: dict[str, TagDef]

    _plan: tuple[PlannedTag, ...] | None = PrivateAttr(default=None)
    _scorer: FastScorer | None = PrivateAttr(default=None)
    _user_text: str | None = PrivateAttr(default=None)
    _explicit: bool = PrivateAttr(default=False)

    @property
    def user_text(self) -> str | None:
        """The user's taxonomy file this was loaded with (None: the default alone), so that a
        library can remember it."""
        return self._user_text

    @model_validator(mode="after")
    def _check_links(self) -> Taxonomy:
        for name, tag in self.tags.items():
            if tag.name != name:
                raise ValueError(f"tags.{name}.name: must be {name!r}")
            for target in tag.implies:
                if target not in self.tags:
                    raise ValueError(f"tags.{name}.implies: unknown tag {target!r}")
        return self

    def enabled(self) -> list[TagDef]:
        return [tag for tag in self.tags.values() if tag.enabled]

    def plan(self) -> tuple[PlannedTag, ...]:
        """The enabled tags flattened for scoring, built once (a taxonomy is not changed)."""
        if self._plan is None:
            self._plan = tuple(
                (
                    tag.name,
                    tag.threshold,
                    tuple(
                        (
                            rule,
                            rule._matcher,
                            rule.weight * self.title_factor if rule.field != "abstract" else 0.0,
                            rule.weight if rule.field != "title" else 0.0,
                        )
                        for rule in tag.rules
                    ),
                )
                for tag in self.enabled()
            )
        return self._plan

    def scorer(self) -> FastScorer:
        """The enabled rules indexed by the words they need, for `tag_paper`, built once."""
        if self._scorer is None:
            self._scorer = FastScorer(self.plan())
        return self._scorer

    def fingerprint(self) -> str:
        """A hash of everything that decides tags, so a store knows when to retag.

        Descriptions are left out: rewording a description must not retag a library.
        """
        effective = {
            "engine": ENGINE_VERSION,
            "title_factor": self.title_factor,
            "model": self.model,
            "tags": [
                {
                    "name": tag.name,
                    "threshold": tag.threshold,
                    "implies": tag.implies,
                    "rules": [rule.model_dump() for rule in tag.rules],
                }
                for tag in self.enabled()
            ],
        }
        blob = json.dumps(effective, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def key_path(loc: Iterable[int | str]) -> str:
    """A pydantic error location as the key a person writes: `tags.x.rules[1].weight`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not part.startswith(("function-after", "function-before")):
            path += f".{part}" if path else part
    return path


def _error_message(filename: str, exc: ValidationError) -> str:
    error = exc.errors()[0]
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field"
    elif error["type"] == "missing":
        message = "required field is missing"
    elif error["type"] in ("float_parsing", "float_type"):
        message = "must be a number"
    elif error["type"] == "bool_type":
        message = "must be true or false"
    elif error["type"] in ("string_type", "literal_error"):
        message = "must be " + (
            "a string"
            if error["type"] == "string_type"
            else "one of " + str(error.get("ctx", {}).get("expected", "the allowed values"))
        )
    elif error["type"] == "list_type":
        message = "must be a list"
    key = key_path(error["loc"])
    if not key and ": " in message:  # taxonomy-wide checks name the key themselves
        key, message = message.split(": ", 1)
    return f"{filename}: {key}: {message}" if key else f"{filename}: {message}"


def _read_toml(text: str, filename: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{filename}: not valid TOML ({exc})") from None


def _build(data: dict[str, Any], filename: str) -> Taxonomy:
    tags = data.get("tags")
    if not isinstance(tags, dict):
        raise TaxonomyError(f"{filename}: tags: must be a table of tags ([tags.NAME])")
    raw = dict(data)
    raw["tags"] = {
        name: {"name": name, **body} if isinstance(body, dict) else body
        for name, body in tags.items()
    }
    try:
        return Taxonomy.model_validate(raw)
    except ValidationError as exc:
        raise TaxonomyError(_error_message(filename, exc)) from None


_DEFAULT: Taxonomy | None = None


def default_taxonomy() -> Taxonomy:
    """The taxonomy shipped with papertriage (`taxonomy.toml` in the package)."""
    global _DEFAULT
    if _DEFAULT is None:
        text = resources.files("papertriage").joinpath("taxonomy.toml").read_text("utf-8")
        _DEFAULT = _build(_read_toml(text, "taxonomy.toml"), "taxonomy.toml")
    return _DEFAULT.model_copy(deep=True)


def _merge(base: dict[str, Any], user: dict[str, Any], filename: str) -> dict[str, Any]:
    """Overlay a user taxonomy: new tags are added, given keys of known tags replace the
    default's, and `extra_rules` appends rules to a known tag instead of replacing them."""
    merged = {**base, **{key: value for key, value in user.items() if key != "tags"}}
    tags: dict[str, Any] = {name: dict(body) for name, body in base["tags"].items()}
    user_tags = user.get("tags", {})
    if not isinstance(user_tags, dict):
        raise TaxonomyError(f"{filename}: tags: must be a table of tags ([tags.NAME])")
    for name, body in user_tags.items():
        if not isinstance(body, dict):
            raise TaxonomyError(f"{filename}: tags.{name}: must be a table")
        body = dict(body)
        extra = body.pop("extra_rules", [])
        if not isinstance(extra, list):
            raise TaxonomyError(f"{filename}: tags.{name}.extra_rules: must be a list of rules")
        target = tags.setdefault(name, {})
        target.update(body)
        target["rules"] = [*target.get("rules", []), *extra]
    merged["tags"] = tags
    return merged


def load_taxonomy(user_file: Path | None) -> Taxonomy:
    """The default taxonomy, overlaid with the user's file when one is given.

    A user file holds only what differs: `[tags.NEW]` adds a tag, `[tags.efficiency]` with
    `threshold = 4` or `enabled = false` changes or disables a default one.
    """
    if user_file is None:
        return default_taxonomy()
    filename = str(user_file)
    try:
        text = user_file.read_text("utf-8")
    except OSError as exc:
        raise TaxonomyError(f"{filename}: cannot read the taxonomy ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise TaxonomyError(f"{filename}: not UTF-8 text") from None
    return taxonomy_from_text(text, filename)


def taxonomy_from_text(text: str, filename: str) -> Taxonomy:
    """The default taxonomy overlaid with a user taxonomy's TOML text (`filename` names it)."""
    user = _read_toml(text, filename)
    base = resources.files("papertriage").joinpath("taxonomy.toml").read_text("utf-8")
    taxonomy = _build(_merge(_read_toml(base, "taxonomy.toml"), user, filename), filename)
    taxonomy._user_text = text
    return taxonomy
