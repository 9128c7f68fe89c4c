"""The problems with a draft, collected so that a form can list them all at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from videoresponse.triage.errors import TriageRuleError

T = TypeVar("T")


class DraftErrors(Exception):
    """Every problem with a draft, as {form field: message}, in form order."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


class DuplicateUrn(DraftErrors):
    """An incident with this URN is already recorded."""

    def __init__(self, urn: str, existing_id: int) -> None:
        super().__init__({"urn": f"An incident with URN {urn} is already recorded"})
        self.existing_id = existing_id


class Problems:
    """Collects the first message per field, and runs checks that may raise."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def add(self, key: str, message: str) -> None:
        self.found.setdefault(key, message)

    def check(self, prefix: str, run: Callable[[], T]) -> T | None:
        try:
            return run()
        except TriageRuleError as error:
            self.add(prefix + error.field, error.message)
            return None
