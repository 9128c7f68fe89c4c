"""The error every triage rule raises, worded for the call handler."""


class TriageRuleError(ValueError):
    """A triage rule was broken.

    ``str(error)`` is a sentence a call handler understands, in the GOV.UK error-message
    style ("Enter the victim's date of birth"); ``field`` names the form field it belongs
    to, so the page can show the message beside that field.
    """

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
