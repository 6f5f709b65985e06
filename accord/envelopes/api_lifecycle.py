"""The lifecycle timeline of one employment for HR systems: ``GET /employments/{id}/timeline``.

Every document of the worker at the enterprise in time order (with the employment's start and
end), and the next lifecycle steps with whether each fits now and, if not, why and under which
article (accord.envelopes.lifecycle). Mounted at /api/v1 by accord/urls.py.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema

from accord.core.api import principal
from accord.core.scoping import scoped
from accord.envelopes import lifecycle
from accord.envelopes.models import Envelope

router = Router(tags=["envelopes"])


class EventOut(Schema):
    at: dt.datetime
    kind: str
    envelope: UUID | None = None
    number: str = ""
    title: str = ""
    status: str = ""
    sent_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None


class StepOut(Schema):
    stage: str
    kind: str
    allowed: bool
    reason_zh: str
    reason_en: str
    article: str


class TimelineOut(Schema):
    employment: UUID
    enterprise: UUID
    worker: str
    start_date: dt.date
    end_date: dt.date | None
    events: list[EventOut]
    next_steps: list[StepOut]


@router.get("/employments/{employment_id}/timeline", response=TimelineOut)
def employment_timeline(request: HttpRequest, employment_id: str):
    who = principal(request)
    employment = lifecycle.employment_for_documents(who, employment_id)
    events = []
    for e in lifecycle.timeline(employment, scoped(Envelope, who)):
        env = e.envelope
        events.append(
            {
                "at": e.at,
                "kind": e.kind,
                "envelope": env.public_id if env else None,
                "number": env.number if env else "",
                "title": env.title if env else "",
                "status": env.status if env else "",
                "sent_at": env.sent_at if env else None,
                "completed_at": env.completed_at if env else None,
                "ended_at": env.ended_at if env else None,
            }
        )
    steps = lifecycle.next_steps_for(who, employment)
    return {
        "employment": employment.public_id,
        "enterprise": employment.enterprise.public_id,
        "worker": employment.person.name,
        "start_date": employment.start_date,
        "end_date": employment.end_date,
        "events": events,
        "next_steps": [
            {
                "stage": s.stage,
                "kind": s.kind,
                "allowed": s.allowed,
                "reason_zh": s.reason_zh,
                "reason_en": s.reason_en,
                "article": s.article,
            }
            for s in steps
        ],
    }
