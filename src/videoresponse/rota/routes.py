"""The rota pages: patterns, shifts and absences."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
