"""Composing a text: the wording, the person's values, and the check that it is safe."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from videoresponse.notify.safe_words import find_unsafe_words
from videoresponse.notify.segments import SmsEncoding, count_segments
from videoresponse.notify.wording import (
    CODE_WORD_PREFIX,
    MessageKind,
    Variant,
    Wording,
    placeholders_in,
)

# English names whatever the server's locale: %a and %b follow it.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# A link goes only in {link}, made by us on our own address: staff never paste one, so a
# shortened or look-alike link can never reach a person in our name.
_WEB_ADDRESS = re.compile(
    r"\b[a-z][a-z0-9+.-]*://\S*|\bwww\.\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)+/\S*", re.IGNORECASE
)


class UnsafeMessage(ValueError):
    """The text would say something it must not; ``words`` lists what was found."""

    def __init__(self, words: list[str]) -> None:
        quoted = ", ".join(f"'{word}'" for word in words)
        super().__init__(f"The text must not include {quoted}")
        self.words = words


@dataclass(frozen=True)
class ComposedText:
    body: str
    personalisation: dict[str, str]
    """The value of each placeholder the template uses, for providers that fill it in."""
    segments: int
    encoding: SmsEncoding
    kind: MessageKind
    variant: Variant
    """With ``kind``, the template used: a provider with its own copies needs both."""


def _clock(moment: time) -> str:
    # GOV.UK style: 2pm, 2:15pm, midday, midnight.
    if moment.minute == 0 and moment.hour in (0, 12):
        return "midnight" if moment.hour == 0 else "midday"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def format_when(moment: datetime, tz: ZoneInfo) -> str:
    """ "Tue 1 Dec at 2:15pm" in the person's time zone: short, with no year."""
    if moment.utcoffset() is None:
        raise ValueError(f"the time of a text must be timezone-aware: {moment}")
    local = moment.astimezone(tz)
    day = f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}"
    return f"{day} at {_clock(local.time())}"


def compose(
    kind: MessageKind,
    *,
    wording: Wording,
    when: datetime | None,
    link: str | None,
    phone: str | None,
    code_word: str | None,
    may_mention_police: bool,
    force_name: str,
    tz: ZoneInfo,
    custom_text: str | None = None,
    words_never_to_use: Iterable[str] = (),
) -> ComposedText:
    """The text of ``kind`` for one person, or ``UnsafeMessage`` if it says too much.

    Discreet unless ``may_mention_police``. The code word, where there is one, starts the
    text so that the person knows it is genuine. The link is used exactly as given.
    ``words_never_to_use`` are the person's, with anything else this text must not say
    (the suspect's name, the incident type); without leave to mention the police, the
    force's name is one too.
    """
    is_custom = kind is MessageKind.CUSTOM
    if is_custom != (custom_text is not None):
        raise ValueError("custom_text is for a custom text, and a custom text needs it")
    variant = Variant.POLICE_ALLOWED if may_mention_police else Variant.DISCREET
    template = wording.template(kind, variant)
    code_word = (code_word or "").strip()
    values: dict[str, str | None] = {
        CODE_WORD_PREFIX: f"{code_word}: " if code_word else "",
        "when": format_when(when, tz) if when is not None else None,
        "link": link,
        "phone": phone,
        "force_name": force_name,
        "custom_text": custom_text.strip() if custom_text is not None else None,
    }
    personalisation: dict[str, str] = {}
    for name in placeholders_in(template):
        value = values[name]
        if value is None or (name == "custom_text" and not value):
            raise ValueError(f"a {kind} text needs {name}")
        personalisation[name] = value
    body = template.format_map(personalisation)

    never = list(words_never_to_use)
    if not may_mention_police and force_name.strip():
        never.append(force_name)
    unsafe = find_unsafe_words(
        body, may_mention_police=may_mention_police, words_never_to_use=never
    )
    if custom_text is not None:
        unsafe += _WEB_ADDRESS.findall(custom_text)
    if unsafe:
        raise UnsafeMessage(words=unsafe)
    counted = count_segments(body)
    return ComposedText(body, personalisation, counted.segments, counted.encoding, kind, variant)
