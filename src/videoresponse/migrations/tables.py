"""Every capability's tables, gathered for Alembic to compare against."""

from videoresponse.core import audit
from videoresponse.core.auth import models as auth_models
from videoresponse.core.db import Base

metadata = Base.metadata
__all__ = ["audit", "auth_models", "metadata"]
