"""Settings: every VIDEORESPONSE_* environment variable, in one place."""

from __future__ import annotations

from datetime import time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
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
    force_phone: str = Field(
        "0300 123 4567",
        description="Number shown to callers and put in texts. A neutral number: 101 would say "
        "the text is from the police.",
    )
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
    step_up_minutes: int = Field(
        5, ge=1, description="Signing and disclosure need a password given this recently."
    )

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
    no_show_grace_minutes: int = Field(
        10,
        ge=0,
        description="Minutes after the start before a caller who has not joined is a "
        "possible no-show and the officer is prompted.",
    )
    risk_checklist_file: Path | None = Field(
        None,
        description="A force's own risk checklist (TOML, same shape as risk/data/dash-2009.toml), "
        "e.g. its DASH wording or DARA; empty means the bundled DASH (2009) checklist.",
    )
    marac_escalation_incidents: int | None = Field(
        None,
        ge=1,
        description="Potential escalation for MARAC: this many incidents with the same person "
        "in the window, the one assessed included. Empty means the checklist's (3).",
    )
    marac_escalation_months: int | None = Field(
        None,
        ge=1,
        description="The potential-escalation window in months. Empty means the checklist's (12).",
    )
    incident_types: dict[str, str] = Field(
        default_factory=dict,
        description='Incident types as JSON {"code": "Label"}; empty means the national list.',
    )
    bank_holidays_nation: Literal["england", "wales", "scotland", "northern_ireland"] = Field(
        "england",
        description="Whose bank holidays count as non-working days for the Victims' Code "
        "due dates: england (the same as wales), scotland or northern_ireland.",
    )
    retain_closed_no_crime_days: int = Field(
        365,
        description="A case closed as no crime is erased this many days after closing, "
        "with its people, appointments, texts and links. 0 keeps them.",
    )
    retain_texts_days: int = Field(
        90, description="Texts sent (or settled) are erased after this many days. 0 keeps them."
    )
    retain_caller_sessions_days: int = Field(
        30, description="Callers' browser sessions are erased after this many days. 0 keeps them."
    )
    retain_feedback_days: int = Field(
        365,
        description="Feedback comments are erased after this many days; the rating stays, "
        "linked to no one. 0 keeps them.",
    )

    public_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="The address callers reach the service on; links in texts start with it.",
    )
    sms_provider: Literal["local", "govuk_notify", "twilio"] = Field(
        "local", description="local (texts listed on a staff page), govuk_notify or twilio."
    )
    notify_api_key: str = Field("", description="GOV.UK Notify API key.")
    notify_base_url: str = Field("", description="Notify API address; empty means Notify's own.")
    notify_template_ids: dict[str, str] = Field(
        default_factory=dict,
        description='Notify template id per message kind, as JSON {"confirmation": "..."}.',
    )
    notify_callback_token: str = Field(
        "", description="Bearer token Notify sends with delivery receipts."
    )
    twilio_account_sid: str = Field("", description="Twilio account SID.")
    twilio_auth_token: str = Field("", description="Twilio auth token (also checks callbacks).")
    twilio_sender: str = Field("", description="Twilio number or messaging service SID (MG...).")
    twilio_api_base_url: str = Field("", description="Twilio API address; empty means Twilio's.")
    wording_file: Path | None = Field(
        None, description="A force's own text wording (TOML); empty means the defaults."
    )
    reminder_minutes_before: list[int] = Field(
        default_factory=lambda: [1440, 30],
        description="Reminders, in minutes before the start, for people who agreed to them.",
    )
    join_opens_minutes_before: int = Field(
        15, description="A join link starts to work this long before the appointment."
    )
    identity_check: Literal["date_of_birth", "code_word"] = Field(
        "date_of_birth",
        description="What a caller confirms before joining. code_word leaves the code word "
        "out of texts: a secret printed beside the link guards nothing.",
    )
    identity_check_attempts: int = Field(
        5, description="Wrong answers before a link locks and the officer is told."
    )
    text_max_attempts: int = Field(8, description="Tries for a text that fails for a while.")
    text_retry_base_seconds: int = Field(30, description="First wait before retrying a text.")
    text_retry_cap_seconds: int = Field(3600, description="Longest wait between tries.")
    text_send_lease_seconds: int = Field(
        120,
        description="A text left half-sent this long by a stopped worker is checked with the "
        "provider. Longer than any provider call can take.",
    )
    worker_interval_seconds: float = Field(
        2.0, description="How often the text worker looks for texts that are due."
    )
    exit_url: str = Field(
        "https://www.bbc.co.uk/weather",
        description='Where "Exit this page" takes a caller: a neutral site.',
    )
    caller_may_change_until_minutes: int = Field(
        60, description="A caller may move or cancel up to this long before the start."
    )
    embedded_worker: bool = Field(
        True, description="Run the text worker inside `serve` (the embedded default)."
    )

    redis_url: str = Field(
        "",
        description="Redis for signalling between server processes (redis://host:6379/0). "
        "Empty means one process: calls are coordinated in memory.",
    )
    redis_prefix: str = Field(
        "vr:calls", description="Start of the calls' Redis keys and channels."
    )
    stun_urls: list[str] = Field(
        default_factory=list,
        description='STUN servers for the calls, as JSON, e.g. ["stun:turn.example.org:3478"].',
    )
    turn_urls: list[str] = Field(
        default_factory=list,
        description='TURN servers, as JSON, e.g. ["turns:turn.example.org:443?transport=tcp"].',
    )
    turn_secret: str = Field(
        "", description="coturn's static-auth-secret: TURN credentials are made from it."
    )
    turn_ttl_seconds: int = Field(3600, description="How long a TURN credential lasts.")
    ice_transport_policy: Literal["all", "relay"] = Field(
        "all",
        description="relay sends every call through TURN, so no browser learns another's "
        "IP address (an invited supporter cannot see where the caller is).",
    )
    admit_alert_minutes: int = Field(
        10,
        description="A caller not admitted this long after the start is told what to do, "
        "and supervisors see the delay.",
    )

    seal_certificate_path: str = Field(
        "",
        description="The force's sealing certificate and key (PKCS#12) for signed statements. "
        "Empty means a self-signed DEVELOPMENT certificate made once in DATA_DIR/seal/.",
    )
    seal_certificate_password: SecretStr = Field(
        SecretStr(""), description="Password of the PKCS#12 file; empty means none."
    )
    seal_timestamp_url: str = Field(
        "", description="RFC 3161 timestamp authority for the seals; empty means no timestamp."
    )

    evidence_master_key: SecretStr = Field(
        SecretStr(""),
        description="Base64 of 32 random bytes: wraps every evidence file's own key. Empty "
        "means a development key made once in DATA_DIR/evidence/master.key.",
    )
    evidence_store: Literal["filesystem", "s3"] = Field(
        "filesystem", description="Where sealed evidence lives: filesystem (DATA_DIR) or s3."
    )
    evidence_s3_bucket: str = Field("", description="S3 bucket for evidence.")
    evidence_s3_prefix: str = Field("evidence/", description="Start of evidence keys in S3.")
    evidence_s3_endpoint_url: str = Field(
        "", description="S3-compatible endpoint (MinIO, Ceph); empty means AWS."
    )
    clamd_address: str = Field(
        "",
        description="ClamAV daemon, unix:/path/clamd.ctl or tcp:host:3310; empty means "
        "files are marked not scanned.",
    )
    evidence_max_file_bytes: int = Field(
        2 * 1024**3, gt=0, description="Largest evidence file accepted, in bytes."
    )
    evidence_quota_bytes: int = Field(
        10 * 1024**3, gt=0, description="Total evidence accepted per appointment, in bytes."
    )
    evidence_max_pixels: int = Field(
        100_000_000, gt=0, description="Largest image accepted, in pixels (width x height)."
    )

    @model_validator(mode="after")
    def _turn_needs_a_secret(self) -> Settings:
        if self.turn_urls and not self.turn_secret:
            raise ValueError("VIDEORESPONSE_TURN_URLS needs VIDEORESPONSE_TURN_SECRET")
        return self

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
    def no_show_grace(self) -> timedelta:
        return timedelta(minutes=self.no_show_grace_minutes)

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
