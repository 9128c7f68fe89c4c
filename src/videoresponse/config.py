"""Settings: every VIDEORESPONSE_* environment variable, in one place."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
