"""Settings: every VIDEORESPONSE_* environment variable, in one place."""

from __future__ import annotations

from datetime import time, timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from videoresponse.booking.rules import PriorityBand
from videoresponse.rota.rules import OpeningHours


class Settings(BaseSettings):
    """What a force configures. The README's configuration table is generated from these."""

    model_config = SettingsConfigDict(env_prefix="VIDEORESPONSE_", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Folder for everything the service writes.")
    database_url: str = Field(
        "",
        description="SQLAlchemy URL. Empty means SQLite at DATA_DIR/videoresponse.db; "
        "PostgreSQL as postgresql+psycopg://user:pass@host/db.",
    )
    secret_key: str = Field(
        "",
        description="Key for signing cookies and CSRF tokens. Empty means a random key "
        "kept in DATA_DIR/secret_key (fine for one host; set it when you run several).",
    )
    force_name: str = Field("Example Constabulary", description="Shown to staff only.")
    force_phone: str = Field("101", description="Number shown to callers when nothing happens.")
    timezone: str = Field("Europe/London", description="The team's local time zone.")
    cookie_secure: bool = Field(
        True,
        description="Mark cookies Secure and use the __Host- prefix. Browsers accept Secure "
        "cookies on http://127.0.0.1 and localhost, so the demo works with it on.",
    )
    session_idle_minutes: int = Field(30, description="Staff session ends after this idle time.")
    session_absolute_hours: int = Field(12, description="Staff session ends after this long.")
    lockout_attempts: int = Field(5, description="Failed sign-ins before an account locks.")
    lockout_minutes: int = Field(15, description="How long a locked account stays locked.")

    opening_time: time = Field(time(8, 30), description="The team opens (local time).")
    closing_time: time = Field(time(21, 30), description="The team closes (local time).")
    opening_days: str = Field(
        "mon,tue,wed,thu,fri,sat,sun", description="Days the team works, comma-separated."
    )
    p1_hours: int = Field(24, description="A P1 case is seen within this many hours of the call.")
    p2_hours: int = Field(72, description="A P2 case is seen within this many hours.")
    p3_hours: int = Field(168, description="A P3 case is seen within this many hours.")
    appointment_minutes: int = Field(60, description="Length of an appointment.")
    appointment_minutes_by_type: dict[str, int] = Field(
        default_factory=lambda: {"domestic_abuse": 90},
        description='Lengths by incident type, as JSON, e.g. {"domestic_abuse": 90}.',
    )
    write_up_minutes: int = Field(
        15, description="Buffer kept free before and after each appointment for write-up."
    )
    slot_grid_minutes: int = Field(15, description="Appointments start on this grid.")
    incident_types: dict[str, str] = Field(
        default_factory=dict,
        description='Incident types as JSON {"code": "Label"}; empty means the national list.',
    )

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'videoresponse.db'}"
        return self

    @property
    def session_idle(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def session_absolute(self) -> timedelta:
        return timedelta(hours=self.session_absolute_hours)

    @property
    def lockout(self) -> timedelta:
        return timedelta(minutes=self.lockout_minutes)

    @property
    def opening_hours(self) -> OpeningHours:
        days = [d.strip().lower()[:3] for d in self.opening_days.split(",") if d.strip()]
        names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        unknown = [d for d in days if d not in names]
        if unknown:
            raise ValueError(f"VIDEORESPONSE_OPENING_DAYS: unknown day {unknown[0]!r}")
        return OpeningHours(
            opens=self.opening_time,
            closes=self.closing_time,
            tz_name=self.timezone,
            weekdays=frozenset(names.index(d) for d in days),
        )

    @property
    def band_hours(self) -> dict[PriorityBand, timedelta]:
        return {
            PriorityBand.P1: timedelta(hours=self.p1_hours),
            PriorityBand.P2: timedelta(hours=self.p2_hours),
            PriorityBand.P3: timedelta(hours=self.p3_hours),
        }

    @property
    def durations(self) -> dict[str, timedelta]:
        return {k: timedelta(minutes=v) for k, v in self.appointment_minutes_by_type.items()}

    @property
    def write_up_buffer(self) -> timedelta:
        return timedelta(minutes=self.write_up_minutes)

    @property
    def slot_grid(self) -> timedelta:
        return timedelta(minutes=self.slot_grid_minutes)

    def signing_key(self) -> bytes:
        """The configured key, or one made once and kept in the data folder."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret_key"
        if not path.exists():
            import secrets

            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()


@lru_cache
def get_settings() -> Settings:
    return Settings()
