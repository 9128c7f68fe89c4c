"""Safe contact: how, when and in what words a person may be contacted.

Domestic abuse is the reason: a text can be read, and a call overheard, by the abuser.
Contact only by the channels and at the times the person said are safe, and check again
each time (SECURITY.md, "Domestic abuse safety"; NNEDV safe-contact guidance).
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from videoresponse.rota.rules import TEAM_TIMEZONE, Weekday
from videoresponse.triage.errors import TriageRuleError
from videoresponse.triage.people import is_uk_mobile, parse_uk_phone_number

LONDON = ZoneInfo(TEAM_TIMEZONE)
CODE_WORD_MIN_LENGTH = 2
CODE_WORD_MAX_LENGTH = 30


class ContactChannel(StrEnum):
    TEXT = "text"
    CALL = "call"
    VOICEMAIL = "voicemail"


@dataclass(frozen=True)
class SafeWindow:
    """A weekly time when contact is safe, in the person's local wall-clock time.

    It lies within one day: a window past midnight is two windows.
    """

    weekday: Weekday
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("a safe window's times are wall-clock times, without a tzinfo")
        if self.end <= self.start:
            raise TriageRuleError(
                "The end of a safe time must be after its start", field="safe_windows"
            )


@dataclass(frozen=True)
class SafeContact:
    may_text: bool
    may_call: bool
    may_leave_voicemail: bool
    windows: tuple[SafeWindow, ...]
    may_mention_police: bool = False
    """Whether a message may say it is from the police; unless the person said so, not."""
    safe_number: str | None = None
    """E.164. Where given, every call and text goes to it instead of the mobile."""
    code_word: str | None = None
    words_never_to_use: tuple[str, ...] = ()
    timezone: str = TEAM_TIMEZONE

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def allows(self, channel: ContactChannel) -> bool:
        return {
            ContactChannel.TEXT: self.may_text,
            ContactChannel.CALL: self.may_call,
            ContactChannel.VOICEMAIL: self.may_leave_voicemail,
        }[channel]

    def number_to_use(self, mobile: str | None) -> str | None:
        """The number to call or text: the safe number where there is one."""
        return self.safe_number or mobile


def parse_code_word(raw: str) -> str | None:
    """The code word, trimmed, or None if blank: 2 to 30 letters, numbers and spaces.

    It goes in each text so that the person knows the text is genuine.
    """
    word = " ".join(unicodedata.normalize("NFC", raw).split())
    if not word:
        return None
    if len(word) < CODE_WORD_MIN_LENGTH:
        raise TriageRuleError(
            f"Code word must be {CODE_WORD_MIN_LENGTH} characters or more", field="code_word"
        )
    if len(word) > CODE_WORD_MAX_LENGTH:
        raise TriageRuleError(
            f"Code word must be {CODE_WORD_MAX_LENGTH} characters or fewer", field="code_word"
        )
    if not all(c.isalpha() or c.isdecimal() or c == " " for c in word):
        raise TriageRuleError(
            "Code word must only include letters, numbers and spaces", field="code_word"
        )
    return word


def normalise_words_never_to_use(words: Iterable[str]) -> tuple[str, ...]:
    """Lower-case, trimmed, without blanks or repeats, in the order given."""
    normalised = (" ".join(unicodedata.normalize("NFC", w).lower().split()) for w in words)
    return tuple(dict.fromkeys(w for w in normalised if w))


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    # Whole words only, so that "kid" does not flag "kidney"; any run of spaces between
    # the words of a phrase, so that a line break does not hide it.
    words = r"\s+".join(re.escape(word) for word in phrase.split())
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


def message_is_safe(
    text: str, safe_contact: SafeContact, *, also_never: Iterable[str] = ()
) -> list[str]:
    """The words and phrases never to use that ``text`` contains; empty means safe.

    Case-insensitive, whole words and phrases. "police" is one unless the person allowed
    it; ``also_never`` adds words for this message only, for example the suspect's name or
    the force's name.
    """
    police = () if safe_contact.may_mention_police else ("police",)
    unsafe = normalise_words_never_to_use([*safe_contact.words_never_to_use, *police, *also_never])
    message = unicodedata.normalize("NFC", text)
    return [phrase for phrase in unsafe if _phrase_pattern(phrase).search(message)]


def new_safe_contact(
    *,
    may_text: bool,
    may_call: bool,
    may_leave_voicemail: bool,
    windows: Iterable[SafeWindow],
    may_mention_police: bool = False,
    safe_number: str = "",
    code_word: str = "",
    words_never_to_use: Iterable[str] = (),
    timezone: str = TEAM_TIMEZONE,
) -> SafeContact:
    """Safe contact as the person gave it, checked and normalised."""
    if may_leave_voicemail and not may_call:
        raise TriageRuleError(
            "A voicemail can only be safe if calls are safe", field="may_leave_voicemail"
        )
    safe_windows = tuple(windows)
    if (may_text or may_call) and not safe_windows:
        raise TriageRuleError(
            "Add at least one time when it is safe to contact the person",
            field="safe_windows",
        )
    number = parse_uk_phone_number(safe_number) if safe_number.strip() else None
    if may_text and number is not None and not is_uk_mobile(number):
        raise TriageRuleError(
            "A text cannot go to a landline: enter a mobile as the safe number, or say that "
            "texts are not safe",
            field="safe_number",
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TriageRuleError("Select a time zone", field="timezone") from None
    contact = SafeContact(
        may_text=may_text,
        may_call=may_call,
        may_leave_voicemail=may_leave_voicemail,
        windows=safe_windows,
        may_mention_police=may_mention_police,
        safe_number=number,
        code_word=parse_code_word(code_word),
        words_never_to_use=normalise_words_never_to_use(words_never_to_use),
        timezone=timezone,
    )
    # The code word goes in every text, so it must pass the same check as the text.
    unsafe = message_is_safe(contact.code_word or "", contact)
    if unsafe:
        raise TriageRuleError(
            f"Code word must not include '{unsafe[0]}': it is a word never to use in a message",
            field="code_word",
        )
    return contact


def _instant(day: date, wall: time, zone: ZoneInfo, *, later: bool) -> datetime:
    # A wall time in the hour the clocks skip, or the hour they repeat, has two readings.
    # A safe window must never grow at a clock change, so a start takes the later reading
    # and an end the earlier one.
    local = datetime.combine(day, wall, tzinfo=zone)
    readings = [local.replace(fold=fold).astimezone(UTC) for fold in (0, 1)]
    return max(readings) if later else min(readings)


def expand_safe_windows(
    windows: Iterable[SafeWindow],
    from_utc: datetime,
    to_utc: datetime,
    tz: ZoneInfo = LONDON,
) -> list[tuple[datetime, datetime]]:
    """The weekly windows as concrete UTC ranges inside ``[from_utc, to_utc)``.

    Sorted, with overlapping or touching ranges merged. Each local date is localised on
    its own, so 09:00 to 12:00 is three hours on the days the clocks change too; a window
    that starts or ends in the skipped or repeated hour is narrowed, never widened.
    """
    for name, moment in (("from_utc", from_utc), ("to_utc", to_utc)):
        if moment.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")
    lower, upper = from_utc.astimezone(UTC), to_utc.astimezone(UTC)
    windows_by_day: dict[Weekday, list[SafeWindow]] = {}
    for window in windows:
        windows_by_day.setdefault(window.weekday, []).append(window)
    ranges: list[tuple[datetime, datetime]] = []
    # Step local dates, never aware datetimes: a day across a clock change is 23 or 25 hours.
    day, last_day = lower.astimezone(tz).date(), upper.astimezone(tz).date()
    while day <= last_day:
        for window in windows_by_day.get(Weekday(day.weekday()), []):
            start = max(_instant(day, window.start, tz, later=True), lower)
            end = min(_instant(day, window.end, tz, later=False), upper)
            if start < end:
                ranges.append((start, end))
        day += timedelta(days=1)
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def may_contact(safe_contact: SafeContact, channel: ContactChannel, at: datetime) -> bool:
    """Whether ``channel`` is safe and ``at`` falls inside a safe window: ask each time."""
    if not safe_contact.allows(channel):
        return False
    instant = timedelta(microseconds=1)
    return bool(expand_safe_windows(safe_contact.windows, at, at + instant, safe_contact.zone))
