"""The booking JSON API, for force systems and the pages' scripts."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["booking"])
