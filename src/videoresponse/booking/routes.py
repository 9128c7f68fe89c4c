"""The officer's day and the supervisor's queue."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from videoresponse.core.auth.deps import Supervisor, VideoOfficer
from videoresponse.core.web import render

router = APIRouter(include_in_schema=False)


@router.get("/officer")
def officer_home(request: Request, member: VideoOfficer) -> Response:
    return render(request, "role_home.html", {"title": "My day"})


@router.get("/supervisor")
def supervisor_home(request: Request, member: Supervisor) -> Response:
    return render(request, "role_home.html", {"title": "Team overview"})
