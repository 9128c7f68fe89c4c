"""THRIVE, the grade and the priority band: the call handler's assessment of urgency.

The rules here only suggest; the call handler decides, and a decision less urgent than the
suggestion needs a reason so that it can be reviewed.
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import IntEnum, StrEnum

from videoresponse.booking.rules import PriorityBand
from videoresponse.triage.errors import TriageRuleError


class ThriveDimension(StrEnum):
    THREAT = "threat"
    HARM = "harm"
    RISK = "risk"
    INVESTIGATION = "investigation"
    VULNERABILITY = "vulnerability"
    ENGAGEMENT = "engagement"


class ThriveLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Grade(IntEnum):
    """National contact management grades; the number is what is stored and said."""

    EMERGENCY = 1
    PRIORITY = 2
    SCHEDULED = 3
    RESOLVED_WITHOUT_DEPLOYMENT = 4

    @property
    def label(self) -> str:
        return f"grade {self.value} ({self.name.lower().replace('_', ' ')})"


@dataclass(frozen=True)
class ThriveScore:
    level: ThriveLevel
    rationale: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "rationale", self.rationale.strip())


@dataclass(frozen=True)
class ThriveAssessment:
    """All six THRIVE scores; every one has a rationale (field ``<dimension>_rationale``)."""

    threat: ThriveScore
    harm: ThriveScore
    risk: ThriveScore
    investigation: ThriveScore
    vulnerability: ThriveScore
    engagement: ThriveScore

    def __post_init__(self) -> None:
        for dimension, score in self.scores().items():
            if not score.rationale:
                raise TriageRuleError(
                    f"Enter the reason for the {dimension} score",
                    field=f"{dimension}_rationale",
                )

    @classmethod
    def from_scores(cls, scores: Mapping[ThriveDimension, ThriveScore]) -> "ThriveAssessment":
        """From a mapping keyed by dimension; a missing dimension is a missing level."""
        for dimension in ThriveDimension:
            if dimension not in scores:
                raise TriageRuleError(
                    f"Select low, medium or high for {dimension}", field=f"{dimension}_level"
                )
        return cls(**{str(dimension): scores[dimension] for dimension in ThriveDimension})

    def scores(self) -> dict[ThriveDimension, ThriveScore]:
        """The six scores in THRIVE order."""
        return {ThriveDimension(f.name): getattr(self, f.name) for f in fields(self)}

    def level(self, dimension: ThriveDimension) -> ThriveLevel:
        return self.scores()[dimension].level


def suggest_grade(thrive: ThriveAssessment) -> Grade:
    """The grade THRIVE suggests; the call handler's judgement decides.

    In order, the first that applies:

    1. threat high: grade 1 (emergency);
    2. threat medium, or harm, risk or vulnerability high: grade 2 (priority);
    3. threat, harm, risk, vulnerability and investigation all low: grade 4 (resolved
       without deployment);
    4. otherwise grade 3 (scheduled).

    Engagement describes how to work with the caller, not how urgent the need is, so it
    never changes the grade.
    """
    high = {d for d, s in thrive.scores().items() if s.level is ThriveLevel.HIGH}
    if ThriveDimension.THREAT in high:
        return Grade.EMERGENCY
    if thrive.threat.level is ThriveLevel.MEDIUM or high & {
        ThriveDimension.HARM,
        ThriveDimension.RISK,
        ThriveDimension.VULNERABILITY,
    }:
        return Grade.PRIORITY
    if all(
        thrive.level(dimension) is ThriveLevel.LOW
        for dimension in ThriveDimension
        if dimension is not ThriveDimension.ENGAGEMENT
    ):
        return Grade.RESOLVED_WITHOUT_DEPLOYMENT
    return Grade.SCHEDULED


def suggest_priority_band(thrive: ThriveAssessment) -> PriorityBand:
    """The priority band THRIVE suggests for a video appointment; the handler decides.

    1. threat, harm, risk or vulnerability high: P1;
    2. any of those medium, or investigation high (evidence such as CCTV or messages may be
       lost if the appointment waits): P2;
    3. otherwise P3.
    """
    urgency = {thrive.threat.level, thrive.harm.level, thrive.risk.level}
    urgency.add(thrive.vulnerability.level)
    if ThriveLevel.HIGH in urgency:
        return PriorityBand.P1
    if ThriveLevel.MEDIUM in urgency or thrive.investigation.level is ThriveLevel.HIGH:
        return PriorityBand.P2
    return PriorityBand.P3


@dataclass(frozen=True)
class GradeDecision:
    suggested: Grade
    chosen: Grade
    reason: str


@dataclass(frozen=True)
class PriorityBandDecision:
    suggested: PriorityBand
    chosen: PriorityBand
    reason: str


def decide_grade(thrive: ThriveAssessment, chosen: Grade, reason: str = "") -> GradeDecision:
    """Record the handler's grade next to the suggestion.

    A grade less urgent than suggested needs a reason (field ``grade_reason``).
    """
    suggested = suggest_grade(thrive)
    if chosen > suggested and not reason.strip():
        raise TriageRuleError(
            f"Enter why the grade is less urgent than the suggested {suggested.label}",
            field="grade_reason",
        )
    return GradeDecision(suggested=suggested, chosen=chosen, reason=reason.strip())


def decide_priority_band(
    thrive: ThriveAssessment, chosen: PriorityBand, reason: str = ""
) -> PriorityBandDecision:
    """Record the handler's priority band next to the suggestion.

    A band less urgent than suggested needs a reason (field ``priority_band_reason``).
    """
    suggested = suggest_priority_band(thrive)
    bands = list(PriorityBand)
    if bands.index(chosen) > bands.index(suggested) and not reason.strip():
        raise TriageRuleError(
            f"Enter why the priority is lower than the suggested {suggested.name}",
            field="priority_band_reason",
        )
    return PriorityBandDecision(suggested=suggested, chosen=chosen, reason=reason.strip())
