"""Call handling pages and the incidents API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from videoresponse.core.auth.deps import CallHandler
from videoresponse.core.web import render

router = APIRouter()


@router.get("/handler", include_in_schema=False)
def handler_home(request: Request, member: CallHandler) -> Response:
    return render(request, "role_home.html", {"title": "Call handling"})
