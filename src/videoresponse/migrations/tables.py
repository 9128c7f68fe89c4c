"""Every capability's tables, gathered for Alembic to compare against."""

from videoresponse.booking import models as booking_models
from videoresponse.calls import models as calls_models
from videoresponse.core import audit
from videoresponse.core.auth import models as auth_models
from videoresponse.core.db import Base
from videoresponse.evidence import models as evidence_models
from videoresponse.no_shows import models as no_show_models
from videoresponse.notify import models as notify_models
from videoresponse.reports import models as reports_models
from videoresponse.risk import models as risk_models
from videoresponse.rota import models as rota_models
from videoresponse.statements import models as statements_models
from videoresponse.triage import models as triage_models
from videoresponse.victims import models as victims_models

metadata = Base.metadata
__all__ = [
    "audit",
    "auth_models",
    "booking_models",
    "calls_models",
    "evidence_models",
    "metadata",
    "no_show_models",
    "notify_models",
    "reports_models",
    "risk_models",
    "rota_models",
    "statements_models",
    "triage_models",
    "victims_models",
]
