"""Mediation services: one module per job — ``registry`` (mediators, training, relationships,
workload), ``applications`` (three ways in, claims, duplicates, evidence, phone codes),
``workflow`` (the case's transitions and the law's clock), ``agreements`` (调解协议书 signed
through 福易签, instalments), ``documents`` (prefilled PDFs), ``stats``, ``holidays`` (the
holiday schedule as data). Who may do what in which state is ``accord.mediation.policy``; the
error codes are ``accord.mediation.errors``.

Callers use the names re-exported here: ``from accord.mediation import services``.
"""

from __future__ import annotations

from accord.mediation.services.agreements import (
    InstalmentInput,
    confirmation_deadline,
    draft_agreement,
    mark_paid,
    on_envelope_completed,
    remind_overdue,
)
from accord.mediation.services.applications import (
    ALLOWED_UPLOADS,
    MAX_EVIDENCE_BYTES,
    MAX_EVIDENCE_FILES,
    Application,
    ClaimInput,
    add_evidence,
    check_phone_code,
    offer_contract,
    record_view,
    require_number_and_phone,
    send_phone_code,
    signed_contracts_of,
    submit_application,
)
from accord.mediation.services.base import calendar, new_case_number
from accord.mediation.services.holidays import set_calendar_day
from accord.mediation.services.registry import (
    YEARLY_TRAINING_HOURS,
    conflict_of,
    least_loaded,
    record_training,
    register_mediator,
    register_mediator_person,
    register_relationship,
    require_assignable,
    set_mediator_status,
    with_workload,
)
from accord.mediation.services.selfcheck import TimeLimits, time_limits
from accord.mediation.services.workflow import (
    CaseClock,
    accept,
    assign,
    case_clock,
    decline,
    end,
    extend,
    join_room,
    record_clock_event,
    record_session,
    refer,
    schedule_session,
    sweep,
    withdraw,
)

__all__ = [
    "ALLOWED_UPLOADS",
    "MAX_EVIDENCE_BYTES",
    "MAX_EVIDENCE_FILES",
    "YEARLY_TRAINING_HOURS",
    "Application",
    "CaseClock",
    "ClaimInput",
    "InstalmentInput",
    "TimeLimits",
    "accept",
    "add_evidence",
    "assign",
    "calendar",
    "case_clock",
    "check_phone_code",
    "confirmation_deadline",
    "conflict_of",
    "decline",
    "draft_agreement",
    "end",
    "extend",
    "join_room",
    "least_loaded",
    "mark_paid",
    "new_case_number",
    "offer_contract",
    "on_envelope_completed",
    "record_clock_event",
    "record_session",
    "record_training",
    "record_view",
    "refer",
    "register_mediator",
    "register_mediator_person",
    "register_relationship",
    "remind_overdue",
    "require_assignable",
    "require_number_and_phone",
    "schedule_session",
    "send_phone_code",
    "set_calendar_day",
    "set_mediator_status",
    "signed_contracts_of",
    "submit_application",
    "sweep",
    "time_limits",
    "with_workload",
    "withdraw",
]
