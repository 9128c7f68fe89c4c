"""The wording of each kind of text, from a TOML file, checked as it is loaded.

The default is ``wording.toml`` beside this module; a force may use its own file. Each
kind has two variants: ``discreet``, which never says it is from the police and is what
everyone gets, and ``police_allowed``, for people whose safe contact allows it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from string import Formatter
from types import MappingProxyType

from videoresponse.notify.safe_words import find_unsafe_words


class MessageKind(StrEnum):
    """Stored in the outbox and used as the provider's template name: values are stable."""

    CONFIRMATION = "confirmation"
    REMINDER = "reminder"
    RESCHEDULE = "reschedule"
    CANCELLATION = "cancellation"
    INVITATION = "invitation"  # a link to choose a time
    CALL_NOW = "call_now"  # rapid video: the link works at once
    CUSTOM = "custom"  # written by staff


class Variant(StrEnum):
    DISCREET = "discreet"
    POLICE_ALLOWED = "police_allowed"


CODE_WORD_PREFIX = "code_word_prefix"
PLACEHOLDERS: tuple[str, ...] = (
    CODE_WORD_PREFIX,  # "Rainbow: ", or nothing: every text starts with it
    "when",  # "Tue 1 Dec at 2:15pm", the person's local time
    "link",  # the join or choose-a-time link, as given
    "phone",  # the number to call
    "force_name",  # police_allowed only
    "custom_text",  # custom only
)
# What a text is for: without these it is no use to the person.
REQUIRED_PLACEHOLDERS: Mapping[MessageKind, frozenset[str]] = MappingProxyType(
    {
        MessageKind.CONFIRMATION: frozenset({"when", "link"}),
        MessageKind.REMINDER: frozenset({"when", "link"}),
        MessageKind.RESCHEDULE: frozenset({"when", "link"}),
        MessageKind.CANCELLATION: frozenset({"when"}),
        MessageKind.INVITATION: frozenset({"link"}),
        MessageKind.CALL_NOW: frozenset({"link"}),
        MessageKind.CUSTOM: frozenset({"custom_text"}),
    }
)

DEFAULT_WORDING = "wording.toml"
_PACKAGE = "videoresponse.notify"
# Phones take a full stop or a bracket straight after a link as part of it.
_LINK_GLUED = re.compile(r"\{link\}(?!\s|$)")
_KINDS = frozenset(k.value for k in MessageKind)
_VARIANTS = frozenset(v.value for v in Variant)


class WordingError(ValueError):
    """A wording file is not fit to use; the message says what to change, and where."""

    def __init__(
        self, message: str, *, kind: str | None = None, variant: str | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.variant = variant


def placeholders_in(template: str) -> list[str]:
    """The placeholders a template uses, in order, each once."""
    names = (name for _, name, _, _ in Formatter().parse(template) if name is not None)
    return list(dict.fromkeys(names))


def _literal_text(template: str) -> str:
    # The template without its placeholders: a line break between the pieces, so that
    # two pieces never join into a word.
    return "\n".join(literal for literal, _, _, _ in Formatter().parse(template))


def _check_template(template: str, kind: MessageKind, variant: Variant, source: str) -> None:
    where = f"{source}: the {kind} text ({variant})"

    def fail(problem: str) -> WordingError:
        return WordingError(f"{where} {problem}", kind=kind.value, variant=variant.value)

    if not template.strip():
        raise fail("is empty")
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in Formatter().parse(template)]
    except ValueError as error:
        raise fail(f"has a stray {{ or }}: {error}. Placeholders look like {{when}}") from None
    allowed = set(PLACEHOLDERS) - ({"custom_text"} if kind is not MessageKind.CUSTOM else set())
    for name, spec, conversion in fields:
        if name is None:
            continue
        if name not in allowed:
            known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS if p in allowed)
            raise fail(f"uses {{{name}}}, which is not a placeholder it can use: use {known}")
        if spec or conversion:
            raise fail(f"formats {{{name}}}: write the placeholder alone, as {{{name}}}")
    if not template.startswith(f"{{{CODE_WORD_PREFIX}}}"):
        # The code word first, so the person knows at once that the text is genuine.
        raise fail(f"must start with {{{CODE_WORD_PREFIX}}}")
    missing = sorted(REQUIRED_PLACEHOLDERS[kind] - set(placeholders_in(template)))
    if missing:
        raise fail(f"must include {{{missing[0]}}}")
    if _LINK_GLUED.search(template):
        raise fail("must have a space or a line break after {link}, or end with it")
    police_allowed = variant is Variant.POLICE_ALLOWED
    if not police_allowed and "force_name" in placeholders_in(template):
        raise fail("names the force with {force_name}: only police_allowed texts may")
    unsafe = find_unsafe_words(_literal_text(template), may_mention_police=police_allowed)
    if unsafe:
        says = "the police or " if not police_allowed else ""
        raise fail(f"says '{unsafe[0]}': a text must not say {says}what it is about")


@dataclass(frozen=True)
class Wording:
    """Every kind's two templates, checked: a ``Wording`` that exists is fit to use."""

    templates: Mapping[MessageKind, Mapping[Variant, str]]
    source: str = DEFAULT_WORDING

    def __post_init__(self) -> None:
        frozen: dict[MessageKind, Mapping[Variant, str]] = {}
        for kind in MessageKind:
            variants = self.templates.get(kind)
            if variants is None:
                raise WordingError(f"{self.source}: add the {kind} texts", kind=kind.value)
            for variant in Variant:
                template = variants.get(variant)
                if template is None:
                    raise WordingError(
                        f"{self.source}: add the {kind} text ({variant})",
                        kind=kind.value,
                        variant=variant.value,
                    )
                _check_template(template, kind, variant, self.source)
            frozen[kind] = MappingProxyType({v: variants[v] for v in Variant})
        object.__setattr__(self, "templates", MappingProxyType(frozen))

    def template(self, kind: MessageKind, variant: Variant) -> str:
        return self.templates[kind][variant]


def wording_from_mapping(data: Mapping[str, object], *, source: str) -> Wording:
    """A ``Wording`` from a parsed file: ``{kind: {variant: template}}``."""
    templates: dict[MessageKind, dict[Variant, str]] = {}
    for kind_name, variants in data.items():
        if kind_name not in _KINDS:
            kinds = ", ".join(MessageKind)
            raise WordingError(f"{source}: [{kind_name}] is not a kind of text: use {kinds}")
        kind = MessageKind(kind_name)
        if not isinstance(variants, Mapping):
            raise WordingError(
                f"{source}: {kind} must be a table, [{kind}], with discreet and police_allowed",
                kind=kind.value,
            )
        for variant_name, template in variants.items():
            if variant_name not in _VARIANTS:
                raise WordingError(
                    f"{source}: {kind}.{variant_name} is not a variant: use discreet or "
                    "police_allowed",
                    kind=kind.value,
                )
            if not isinstance(template, str):
                raise WordingError(
                    f"{source}: the {kind} text ({variant_name}) must be a string",
                    kind=kind.value,
                    variant=variant_name,
                )
            templates.setdefault(kind, {})[Variant(variant_name)] = template
    return Wording(templates, source=source)


def load_wording(path: Path | None = None) -> Wording:
    """The wording in ``path``, or the default shipped with the service; checked."""
    try:
        if path is None:
            source = DEFAULT_WORDING
            text = resources.files(_PACKAGE).joinpath(DEFAULT_WORDING).read_text("utf-8")
        else:
            source = str(path)
            text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as error:
        raise WordingError(f"Cannot read the wording file {source}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise WordingError(f"{source} must be saved as UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise WordingError(f"{source} is not valid TOML: {error}") from None
    return wording_from_mapping(data, source=source)
