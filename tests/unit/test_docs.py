"""The README stays true: every setting is documented."""

from pathlib import Path

from videoresponse.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [
        f"VIDEORESPONSE_{name.upper()}"
        for name in Settings.model_fields
        if f"`VIDEORESPONSE_{name.upper()}`" not in readme
    ]
    assert missing == []


def test_the_quick_start_has_exactly_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    assert block.split() == ["make", "run", "make", "test"]
