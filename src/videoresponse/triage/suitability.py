"""Whether a video appointment suits the person and the incident (DOMAIN.md)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from videoresponse.triage.errors import TriageRuleError


class SuitabilityFlag(StrEnum):
    """A checklist answer that rules video out. Values are stored."""

    IMMEDIATE_THREAT = "immediate_threat"
    SUSPECT_PRESENT = "suspect_present"
    FORENSIC_SCENE_WORK = "forensic_scene_work"
    IN_PERSON_EXAMINATION = "in_person_examination"
    ABE_INTERVIEW_REQUIRED = "abe_interview_required"
    NO_SAFE_PRIVATE_PLACE = "no_safe_private_place"
    NO_DEVICE = "no_device"
    NO_CONSENT = "no_consent"

    @property
    def reason(self) -> str:
        return _REASONS[self]


_REASONS: dict[SuitabilityFlag, str] = {
    SuitabilityFlag.IMMEDIATE_THREAT: "There is an immediate threat",
    SuitabilityFlag.SUSPECT_PRESENT: "The suspect is present",
    SuitabilityFlag.FORENSIC_SCENE_WORK: "Forensic work is needed at the scene",
    SuitabilityFlag.IN_PERSON_EXAMINATION: (
        "An in-person examination is needed, for example of an injury"
    ),
    SuitabilityFlag.ABE_INTERVIEW_REQUIRED: (
        "A visually recorded interview (Achieving Best Evidence) is required"
    ),
    SuitabilityFlag.NO_SAFE_PRIVATE_PLACE: "The person has no safe, private place to talk",
    SuitabilityFlag.NO_DEVICE: "The person has no phone or computer for a video call",
    SuitabilityFlag.NO_CONSENT: "The person does not agree to a video appointment",
}


@dataclass(frozen=True)
class SuitabilityDecision:
    suitable: bool
    reasons: list[str]
    """One human-readable reason per flag, in checklist order."""
    handler_reason: str
    flags: frozenset[SuitabilityFlag] = field(default_factory=frozenset)
    handler_judged_unsuitable: bool = False


def assess_suitability(
    flags: Iterable[SuitabilityFlag],
    handler_reason: str = "",
    *,
    handler_judged_unsuitable: bool = False,
) -> SuitabilityDecision:
    """Decide whether video suits this person, and record why.

    Any flag makes video unsuitable, whatever the handler says. With no flag the call
    handler may still judge video unsuitable, and must then give a reason (field
    ``suitability_reason``).
    """
    raised = frozenset(flags)
    reason = handler_reason.strip()
    if handler_judged_unsuitable and not raised and not reason:
        raise TriageRuleError(
            "Enter why a video appointment is not suitable", field="suitability_reason"
        )
    return SuitabilityDecision(
        suitable=not raised and not handler_judged_unsuitable,
        reasons=[flag.reason for flag in SuitabilityFlag if flag in raised],
        handler_reason=reason,
        flags=raised,
        handler_judged_unsuitable=handler_judged_unsuitable,
    )
