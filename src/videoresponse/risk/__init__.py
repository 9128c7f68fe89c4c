"""Risk assessment: the DASH checklist, its level, the MARAC referral and its outcome."""
