"""The words a text to a member of the public must not contain.

Whoever holds the phone may read the text, and in domestic abuse that is often the
abuser (SECURITY.md, "Domestic abuse safety"). So a text never says what the appointment
is about, and says that it is from the police only where the person allowed it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from videoresponse.triage.safe_contact import (
    SafeContact,
    message_is_safe,
    normalise_words_never_to_use,
)

# Say who is writing: allowed only where the person's safe contact says so. Matched as
# whole words, so plurals are listed.
POLICE_WORDS: tuple[str, ...] = (
    "police",
    "policing",
    "officer",
    "officers",
    "constable",
    "constabulary",
    "pc",
    "pcso",
    "dc",
    "ds",
    "sergeant",
    "inspector",
    "detective",
    "custody",
)

# Say what the appointment is about: never, whoever reads the text. The national
# incident types (DOMAIN.md) are here; a force's own types and the suspect's name come
# in with the person's words never to use.
SUBJECT_WORDS: tuple[str, ...] = (
    "domestic",
    "abuse",
    "abused",
    "abuser",
    "abusive",
    "victim",
    "victims",
    "witness",
    "witnesses",
    "statement",
    "crime",
    "crimes",
    "criminal",
    "incident",
    "offence",
    "offences",
    "offender",
    "suspect",
    "perpetrator",
    "assault",
    "assaulted",
    "violence",
    "violent",
    "harassment",
    "stalking",
    "theft",
    "fraud",
    "anti-social",
    "antisocial",
    "arrest",
    "arrested",
    "court",
    "evidence",
    "investigation",
    "marac",
)

# 999, 101 and 112 name the police as plainly as the word does (the force's phone number
# defaults to 101). Not when part of a longer number: "0300 101 4567" is fine.
POLICE_NUMBERS: tuple[str, ...] = ("999", "101", "112")
_NUMBER_PATTERNS = tuple(
    (number, re.compile(rf"(?<![\w-])(?<!\d\s){number}(?![\w-])(?!\s\d)"))
    for number in POLICE_NUMBERS
)


def find_unsafe_words(
    text: str, *, may_mention_police: bool, words_never_to_use: Iterable[str] = ()
) -> list[str]:
    """The words, phrases and numbers in ``text`` that it must not contain; empty if none.

    Triage's ``message_is_safe`` does the matching (case-insensitive, whole words), with
    the subject words always and the police words unless the person allowed them.
    """
    contact = SafeContact(
        may_text=True,
        may_call=False,
        may_leave_voicemail=False,
        windows=(),
        may_mention_police=may_mention_police,
        words_never_to_use=normalise_words_never_to_use(words_never_to_use),
    )
    also_never = SUBJECT_WORDS if may_mention_police else (*SUBJECT_WORDS, *POLICE_WORDS)
    found = message_is_safe(text, contact, also_never=also_never)
    if not may_mention_police:
        found += [number for number, pattern in _NUMBER_PATTERNS if pattern.search(text)]
    return found
