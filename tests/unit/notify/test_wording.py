from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from videoresponse.notify.rules import (
    PLACEHOLDERS,
    ComposedText,
    MessageKind,
    UnsafeMessage,
    Variant,
    Wording,
    WordingError,
    compose,
    count_segments,
    format_when,
    is_gsm7,
    load_wording,
    wording_from_mapping,
)
from videoresponse.triage.rules import parse_code_word

LONDON = ZoneInfo("Europe/London")
DEFAULT = load_wording()

# The longest values a text can carry: each template must still fit one message.
LONGEST_CODE_WORD = "Bluebell Meadow Sunrise Garden"  # 30, the most parse_code_word allows
# A neutral address: a discreet text cannot carry a link on police.uk (see below).
BASE_URL = "https://video-appointments.example.org.uk/j/"  # 44 characters
TOKEN = "Xq3_9zK-bT7wLm2PaR5vYg"  # 128 bits in base64url: 22 characters
LINK = BASE_URL + TOKEN
PHONE = "0300 123 4567"
LONGEST_FORCE_NAME = "Avon and Somerset Constabulary"
# Day, date, month and a two-digit hour with minutes: "Wed 24 Nov at 12:45pm".
FAR_LONGEST_WHEN = datetime(2027, 11, 24, 12, 45, tzinfo=LONDON)
LONGEST_ONE_MESSAGE_CUSTOM_TEXT = "I" * (160 - len(LONGEST_CODE_WORD) - len(": "))

POLICE_WORDS_IN_THE_BRIEF = (
    "police",
    "officer",
    "constable",
    "pc",
    "crime",
    "victim",
    "witness",
    "abuse",
    "domestic",
    "statement",
    "court",
    "incident",
)


def text(kind: MessageKind = MessageKind.CONFIRMATION, **overrides: Any) -> ComposedText:
    values: dict[str, Any] = {
        "wording": DEFAULT,
        "when": datetime(2026, 12, 1, 14, 15, tzinfo=UTC),
        "link": LINK,
        "phone": PHONE,
        "code_word": "Rainbow",
        "may_mention_police": False,
        "force_name": "Example Constabulary",
        "tz": LONDON,
    }
    if kind is MessageKind.CUSTOM:
        values["custom_text"] = "Please have your glasses with you."
    values.update(overrides)
    return compose(kind, **values)


def default_templates() -> dict[str, dict[str, str]]:
    return {
        kind.value: {variant.value: DEFAULT.template(kind, variant) for variant in Variant}
        for kind in MessageKind
    }


def with_template(kind: str, variant: str, template: str) -> dict[str, dict[str, str]]:
    templates = default_templates()
    templates[kind][variant] = template
    return templates


def wording_error(templates: dict[str, Any]) -> WordingError:
    with pytest.raises(WordingError) as raised:
        wording_from_mapping(templates, source="kent.toml")
    return raised.value


# The default wording


def test_the_default_wording_has_both_variants_of_every_kind() -> None:
    assert set(DEFAULT.templates) == set(MessageKind)
    assert all(set(variants) == set(Variant) for variants in DEFAULT.templates.values())


def test_kinds_keep_their_stored_values() -> None:
    assert [kind.value for kind in MessageKind] == [
        "confirmation",
        "reminder",
        "reschedule",
        "cancellation",
        "invitation",
        "call_now",
        "custom",
    ]


def test_the_longest_values_are_as_long_as_they_can_be() -> None:
    assert parse_code_word(LONGEST_CODE_WORD) == LONGEST_CODE_WORD
    assert len(LONGEST_CODE_WORD) == 30
    assert len(TOKEN) == 22
    assert len(format_when(FAR_LONGEST_WHEN, LONDON)) == len("Wed 24 Nov at 12:45pm") == 21


@pytest.mark.parametrize("variant", list(Variant))
@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_default_text_fits_one_message_with_the_longest_values(
    kind: MessageKind, variant: Variant
) -> None:
    composed = text(
        kind,
        when=FAR_LONGEST_WHEN,
        code_word=LONGEST_CODE_WORD,
        may_mention_police=variant is Variant.POLICE_ALLOWED,
        force_name=LONGEST_FORCE_NAME,
        **({"custom_text": LONGEST_ONE_MESSAGE_CUSTOM_TEXT} if kind == "custom" else {}),
    )
    assert composed.variant is variant
    assert (composed.encoding, composed.segments) == ("GSM-7", 1), composed.body
    assert count_segments(composed.body).characters <= 160


def test_a_custom_text_one_character_too_long_for_one_message_takes_two() -> None:
    composed = text(
        MessageKind.CUSTOM,
        code_word=LONGEST_CODE_WORD,
        custom_text=LONGEST_ONE_MESSAGE_CUSTOM_TEXT + "I",
    )
    assert composed.segments == 2


def test_the_default_wording_uses_only_gsm7_so_straight_apostrophes() -> None:
    for kind in MessageKind:
        for variant in Variant:
            assert is_gsm7(DEFAULT.template(kind, variant)), (kind, variant)


def test_the_default_discreet_texts_never_mention_the_police() -> None:
    for kind in MessageKind:
        words = re.findall(r"\w+", DEFAULT.template(kind, Variant.DISCREET).lower())
        assert not set(words) & set(POLICE_WORDS_IN_THE_BRIEF), kind


def test_a_confirmation_says_when_and_where_to_join_and_nothing_more() -> None:
    body = text().body
    assert body == f"Rainbow: Video call booked for Tue 1 Dec at 2:15pm. Join then: {LINK}"


def test_a_text_is_discreet_unless_the_person_allowed_the_police_to_be_mentioned() -> None:
    assert "police" not in text().body.lower()
    allowed = text(may_mention_police=True)
    assert allowed.variant is Variant.POLICE_ALLOWED
    assert "Police" in allowed.body


# Times


@pytest.mark.parametrize(
    ("moment", "said"),
    [
        (datetime(2026, 12, 1, 14, 15, tzinfo=UTC), "Tue 1 Dec at 2:15pm"),
        (datetime(2026, 12, 1, 14, 0, tzinfo=UTC), "Tue 1 Dec at 2pm"),
        (datetime(2026, 12, 1, 9, 5, tzinfo=UTC), "Tue 1 Dec at 9:05am"),
        (datetime(2026, 12, 1, 12, 0, tzinfo=UTC), "Tue 1 Dec at midday"),
        (datetime(2026, 12, 1, 12, 30, tzinfo=UTC), "Tue 1 Dec at 12:30pm"),
        (datetime(2026, 12, 1, 0, 0, tzinfo=UTC), "Tue 1 Dec at midnight"),
        (datetime(2026, 12, 1, 0, 30, tzinfo=UTC), "Tue 1 Dec at 12:30am"),
        # British Summer Time: 13:15 UTC is 2:15pm in London.
        (datetime(2026, 7, 1, 13, 15, tzinfo=UTC), "Wed 1 Jul at 2:15pm"),
    ],
)
def test_times_are_short_and_in_gov_uk_style(moment: datetime, said: str) -> None:
    assert format_when(moment, LONDON) == said


def test_a_time_is_said_in_the_persons_own_time_zone() -> None:
    moment = datetime(2026, 12, 1, 14, 15, tzinfo=UTC)
    assert "Tue 1 Dec at 3:15pm" in text(when=moment, tz=ZoneInfo("Europe/Paris")).body


def test_a_naive_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        text(when=datetime(2026, 12, 1, 14, 15))


# The code word


def test_the_code_word_starts_the_text_so_the_person_knows_it_is_genuine() -> None:
    for kind in MessageKind:
        assert text(kind, code_word="Rainbow").body.startswith("Rainbow: "), kind


@pytest.mark.parametrize("code_word", [None, "", "   "])
def test_without_a_code_word_there_is_no_prefix(code_word: str | None) -> None:
    composed = text(code_word=code_word)
    assert composed.body.startswith("Video call booked for")
    assert composed.personalisation["code_word_prefix"] == ""


def test_a_code_word_that_names_the_police_is_refused_in_a_discreet_text() -> None:
    with pytest.raises(UnsafeMessage) as raised:
        text(code_word="Blue Police Box")
    assert raised.value.words == ["police"]


# What a text must never say


def test_a_custom_text_that_says_what_it_is_about_is_refused_naming_the_words() -> None:
    with pytest.raises(UnsafeMessage) as raised:
        text(MessageKind.CUSTOM, custom_text="Please bring your witness statement.")
    assert raised.value.words == ["witness", "statement"]
    assert "'witness'" in str(raised.value)


def test_what_it_is_about_is_refused_even_where_the_police_may_be_mentioned() -> None:
    with pytest.raises(UnsafeMessage) as raised:
        text(
            MessageKind.CUSTOM,
            custom_text="The officer will ask about the domestic incident.",
            may_mention_police=True,
        )
    assert raised.value.words == ["domestic", "incident"]


def test_police_words_are_refused_in_discreet_text_and_allowed_where_agreed() -> None:
    custom = "An officer will call you first."
    with pytest.raises(UnsafeMessage) as raised:
        text(MessageKind.CUSTOM, custom_text=custom)
    assert raised.value.words == ["officer"]
    allowed = text(MessageKind.CUSTOM, custom_text=custom, may_mention_police=True)
    assert allowed.body == "Rainbow: An officer will call you first."


def test_the_persons_words_never_to_use_are_refused_whoever_may_be_mentioned() -> None:
    for may_mention_police in (False, True):
        with pytest.raises(UnsafeMessage) as raised:
            text(
                MessageKind.CUSTOM,
                custom_text="Dave\nSmith will not be told.",
                may_mention_police=may_mention_police,
                words_never_to_use=["Dave Smith", "kid"],
            )
        assert raised.value.words == ["dave smith"]


def test_whole_words_only_so_a_never_word_inside_another_is_fine() -> None:
    composed = text(
        MessageKind.CUSTOM, custom_text="Your kidney clinic letter.", words_never_to_use=["kid"]
    )
    assert composed.segments == 1


def test_the_force_name_is_refused_in_a_discreet_text() -> None:
    with pytest.raises(UnsafeMessage) as raised:
        text(MessageKind.CUSTOM, custom_text="Thames Valley here.", force_name="Thames Valley")
    assert raised.value.words == ["thames valley"]


@pytest.mark.parametrize("phone", ["101", "999"])
def test_the_police_numbers_are_refused_in_a_discreet_text(phone: str) -> None:
    # The force's phone number defaults to 101, which says "police" as plainly as the word.
    with pytest.raises(UnsafeMessage) as raised:
        text(MessageKind.CANCELLATION, phone=phone)
    assert raised.value.words == [phone]
    assert text(MessageKind.CANCELLATION, phone=phone, may_mention_police=True).segments == 1


def test_a_number_with_101_inside_it_is_fine() -> None:
    assert text(MessageKind.CANCELLATION, phone="0300 101 4567").body.endswith("0300 101 4567")


def test_a_link_on_a_police_domain_is_refused_in_a_discreet_text() -> None:
    # The link is shown as it is: on police.uk it tells whoever reads the text who sent it,
    # so a discreet text needs the service on a neutral address.
    police_link = "https://video.example-constabulary.police.uk/j/" + TOKEN
    with pytest.raises(UnsafeMessage) as raised:
        text(link=police_link)
    assert raised.value.words == ["police", "constabulary"]
    assert police_link in text(link=police_link, may_mention_police=True).body


def test_the_link_is_used_exactly_as_given() -> None:
    link = "https://video-appointments.example.org.uk/j/Ab-_Cd?x=1&y={2}"
    assert text(link=link).body.endswith(f" {link}")


@pytest.mark.parametrize(
    "pasted", ["https://bit.ly/3xYz", "www.example.com", "bit.ly/3xYz", "tinyurl.com/abc"]
)
def test_a_custom_text_may_not_carry_a_link_of_its_own(pasted: str) -> None:
    with pytest.raises(UnsafeMessage) as raised:
        text(MessageKind.CUSTOM, custom_text=f"Choose a time here {pasted} thanks")
    assert raised.value.words == [pasted]


def test_a_curly_apostrophe_in_a_custom_text_makes_it_ucs2() -> None:
    assert text(MessageKind.CUSTOM, custom_text="We\u2019ll call you.").encoding == "UCS-2"
    assert text(MessageKind.CUSTOM, custom_text="We'll call you.").encoding == "GSM-7"


def test_an_emoji_in_a_custom_text_makes_it_ucs2() -> None:
    assert text(MessageKind.CUSTOM, custom_text="See you soon \U0001f642").encoding == "UCS-2"


_INPUT = st.text(
    alphabet=st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=40
) | st.sampled_from(POLICE_WORDS_IN_THE_BRIEF).map(str.upper)


def _mentions(body: str, words: Iterable[str]) -> list[str]:
    return [w for w in words if re.search(rf"\b{re.escape(w)}\b", body, re.IGNORECASE)]


@given(
    kind=st.sampled_from(list(MessageKind)),
    code_word=st.none() | _INPUT,
    phone=_INPUT,
    link=_INPUT,
    custom_text=st.lists(_INPUT, min_size=1, max_size=4).map(" ".join).filter(str.strip),
    force_name=_INPUT,
)
def test_a_discreet_text_never_mentions_the_police_whatever_the_inputs(
    kind: MessageKind,
    code_word: str | None,
    phone: str,
    link: str,
    custom_text: str,
    force_name: str,
) -> None:
    try:
        composed = text(
            kind,
            code_word=code_word,
            phone=phone,
            link=link,
            force_name=force_name,
            **({"custom_text": custom_text} if kind is MessageKind.CUSTOM else {}),
        )
    except UnsafeMessage as refused:
        assert refused.words
        return
    assert _mentions(composed.body, POLICE_WORDS_IN_THE_BRIEF) == []
    if code_word and code_word.strip():
        assert composed.body.startswith(f"{code_word.strip()}: ")


# Values a template needs


@pytest.mark.parametrize(
    ("kind", "missing"),
    [
        (MessageKind.CONFIRMATION, "link"),
        (MessageKind.REMINDER, "when"),
        (MessageKind.INVITATION, "phone"),
    ],
)
def test_a_value_the_template_needs_must_be_given(kind: MessageKind, missing: str) -> None:
    with pytest.raises(ValueError, match=f"needs {missing}"):
        text(kind, **{missing: None})


def test_a_custom_text_needs_its_words_and_only_a_custom_text_has_them() -> None:
    with pytest.raises(ValueError, match="custom_text"):
        text(MessageKind.CUSTOM, custom_text=None)
    with pytest.raises(ValueError, match="needs custom_text"):
        text(MessageKind.CUSTOM, custom_text="   ")
    with pytest.raises(ValueError, match="custom_text"):
        text(MessageKind.REMINDER, custom_text="Hello")


def test_personalisation_holds_only_the_placeholders_the_template_uses() -> None:
    assert text().personalisation == {
        "code_word_prefix": "Rainbow: ",
        "when": "Tue 1 Dec at 2:15pm",
        "link": LINK,
    }
    assert set(text(MessageKind.CANCELLATION).personalisation) == {
        "code_word_prefix",
        "when",
        "phone",
    }


# Loading and checking a wording file


def test_a_force_may_use_its_own_wording_file(tmp_path: Path) -> None:
    lines = []
    for kind, variants in with_template(
        "reminder", "police_allowed", "{code_word_prefix}{force_name}: see you {when}. {link}"
    ).items():
        lines.append(f"[{kind}]")
        lines += [f"{variant} = {template!r}" for variant, template in variants.items()]
    path = tmp_path / "wording.toml"
    path.write_text("\n".join(lines).replace("'", '"'), encoding="utf-8")

    wording = load_wording(path)

    assert wording.source == str(path)
    composed = text(
        MessageKind.REMINDER, wording=wording, may_mention_police=True, force_name="Kent Police"
    )
    assert composed.body == f"Rainbow: Kent Police: see you Tue 1 Dec at 2:15pm. {LINK}"


def test_a_welsh_wording_is_allowed_and_goes_as_ucs2() -> None:
    # Welsh needs â, ŵ and ŷ, which GSM-7 lacks: a force may choose the cost.
    welsh = "{code_word_prefix}Galwad fideo: {when}. Ymunwch â'r alwad bryd hynny: {link}"
    wording = wording_from_mapping(with_template("confirmation", "discreet", welsh), source="cy")
    assert text(wording=wording).encoding == "UCS-2"


def test_a_missing_wording_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WordingError, match="Cannot read the wording file"):
        load_wording(tmp_path / "nowhere.toml")


def test_a_wording_file_that_is_not_toml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "wording.toml"
    path.write_text("[confirmation\n", encoding="utf-8")
    with pytest.raises(WordingError, match="is not valid TOML"):
        load_wording(path)


def test_a_wording_file_not_in_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "wording.toml"
    path.write_bytes('[custom]\ndiscreet = "£"\n'.encode("latin-1"))
    with pytest.raises(WordingError, match="UTF-8"):
        load_wording(path)


def test_every_kind_must_be_worded() -> None:
    templates = default_templates()
    del templates["cancellation"]
    error = wording_error(templates)
    assert error.kind == "cancellation"
    assert "add the cancellation texts" in str(error)


def test_both_variants_of_every_kind_must_be_worded() -> None:
    templates = default_templates()
    del templates["reminder"]["police_allowed"]
    error = wording_error(templates)
    assert (error.kind, error.variant) == ("reminder", "police_allowed")


@pytest.mark.parametrize(
    ("templates", "said"),
    [
        ({**default_templates(), "thanks": {}}, "[thanks] is not a kind of text"),
        ({**default_templates(), "custom": "Hello"}, "custom must be a table"),
        (with_template("custom", "loud", "{code_word_prefix}{custom_text}"), "not a variant"),
        (with_template("custom", "discreet", 42), "must be a string"),  # type: ignore[arg-type]
    ],
)
def test_a_wording_file_of_the_wrong_shape_is_refused(templates: dict[str, Any], said: str) -> None:
    assert said in str(wording_error(templates))


def test_an_unknown_placeholder_is_refused_naming_the_kind_and_the_placeholder() -> None:
    error = wording_error(
        with_template("reminder", "discreet", "{code_word_prefix}About {suspect} at {when}: {link}")
    )
    assert (error.kind, error.variant) == ("reminder", "discreet")
    assert "the reminder text (discreet) uses {suspect}" in str(error)
    assert all(f"{{{name}}}" in str(error) for name in PLACEHOLDERS if name != "custom_text")


def test_custom_text_is_a_placeholder_only_for_custom_texts() -> None:
    error = wording_error(
        with_template("invitation", "discreet", "{code_word_prefix}{custom_text} {link}")
    )
    assert "uses {custom_text}" in str(error)


@pytest.mark.parametrize(
    ("template", "said"),
    [
        ("{code_word_prefix}{when:>30} {link}", "write the placeholder alone"),
        ("{code_word_prefix}{when!r} {link}", "write the placeholder alone"),
        ("{code_word_prefix}{when.year} {link}", "uses {when.year}"),
        ("{code_word_prefix}{} {when} {link}", "uses {}"),
        ("{code_word_prefix}At {when} {link} }", "stray"),
        ("Video call at {when}: {link} {code_word_prefix}", "must start with {code_word_prefix}"),
        ("{code_word_prefix}Video call at {when}.", "must include {link}"),
        ("{code_word_prefix}Video call at {when}: {link}.", "a space or a line break after"),
        ("{code_word_prefix}{link} at {when}: {link}.", "a space or a line break after"),
        ("   ", "is empty"),
    ],
)
def test_a_badly_written_template_is_refused(template: str, said: str) -> None:
    assert said in str(wording_error(with_template("confirmation", "discreet", template)))


@pytest.mark.parametrize("word", ["police", "Officer", "PC", "constabulary", "court"])
def test_a_discreet_template_that_mentions_the_police_is_refused(word: str) -> None:
    template = f"{{code_word_prefix}}Your {word} video call is at {{when}}: {{link}}"
    error = wording_error(with_template("reminder", "discreet", template))
    assert (error.kind, error.variant) == ("reminder", "discreet")
    assert f"says '{word.lower()}'" in str(error)


def test_a_discreet_template_may_not_name_the_force() -> None:
    template = "{code_word_prefix}{force_name}: video call at {when}: {link}"
    assert "{force_name}" in str(wording_error(with_template("reminder", "discreet", template)))


def test_a_police_allowed_template_may_say_police_but_not_what_it_is_about() -> None:
    fine = "{code_word_prefix}Police officer video call at {when}: {link}"
    wording_from_mapping(with_template("reminder", "police_allowed", fine), source="kent.toml")
    about = "{code_word_prefix}Police call about the domestic abuse at {when}: {link}"
    error = wording_error(with_template("reminder", "police_allowed", about))
    assert "says 'domestic'" in str(error)


def test_a_wording_built_in_code_is_checked_too() -> None:
    with pytest.raises(WordingError, match="add the confirmation texts"):
        Wording({})
