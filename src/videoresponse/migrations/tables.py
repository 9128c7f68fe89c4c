"""Every capability's tables, gathered for Alembic to compare against."""

from videoresponse.booking import models as booking_models
from videoresponse.core import audit
from videoresponse.core.auth import models as auth_models
from videoresponse.core.db import Base
from videoresponse.notify import models as notify_models
from videoresponse.rota import models as rota_models
from videoresponse.triage import models as triage_models

metadata = Base.metadata
__all__ = [
    "audit",
    "auth_models",
    "booking_models",
    "metadata",
    "notify_models",
    "rota_models",
    "triage_models",
]
