"""Who may do what to an envelope, in which state, and why not — the one home of the state machine.

Each question answers with a ``Decision``: allowed, or the declared error saying why not. The
services enforce these decisions (``decision.enforce()`` raises the error); the pages draw their
buttons and the worker's signing step from them, so no view or template re-encodes the states.

The states (issue #6; LAW.md):

- a draft is sent by its sender (HR of the enterprise or its API token);
- a sent envelope is signed in ``order``: only parties whose turn has come (READY) act, a later
  signer is neither told nor shown the document before the earlier ones have signed;
- the sender withdraws an open envelope nobody has signed yet, and voids (with a reason) one
  in progress after a signature; a completed document is binding and is never voided by one side;
- the worker consents to the electronic form (人社厅发〔2021〕54号) only once their real name is
  verified and after reading every page.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.core.decisions import ALLOWED, Decision, refuse
from accord.core.roles import BUREAU_READS
from accord.envelopes import errors
from accord.envelopes.models import Batch, Envelope, Party
from accord.identity.models import Person

ALL_SEEING = tuple(BUREAU_READS)
VERIFIED_LEVELS = (Person.Level.REGISTRY, Person.Level.IN_PERSON)

ACTION_ZH = {"send": "发送", "withdraw": "撤回", "void": "作废", "sign": "签署", "seal": "盖章"}
ACTION_EN = {
    "send": "sent",
    "withdraw": "withdrawn",
    "void": "voided",
    "sign": "signed",
    "seal": "sealed",
}


_no = refuse


def _not_open(envelope: Envelope, action: str) -> Decision:
    return _no(
        errors.NOT_OPEN,
        status_zh=envelope.get_status_display(),
        status=envelope.status,
        action_zh=ACTION_ZH[action],
        action_en=ACTION_EN[action],
    )


def _parties(envelope: Envelope) -> list[Party]:
    return list(envelope.parties.all())  # prefetched by the pages; a query in the services


# ---- who someone is to the envelope -----------------------------------------------------------


def is_sender(actor, envelope: Envelope) -> bool:
    """HR of the envelope's enterprise (or its API token's user)."""
    return envelope.enterprise_id in getattr(actor, "enterprise_ids", set())


def party_of(actor, envelope: Envelope) -> Party | None:
    """The personal party this actor is in the envelope, if any."""
    person_id = getattr(actor, "person_id", None)
    if person_id is None:
        return None
    for party in _parties(envelope):
        if party.person_id == person_id and party.role in Party.PERSONAL_ROLES:
            return party
    return None


def may_see_document(actor, envelope: Envelope) -> bool:
    """The sender sees it, and the bureau; a personal party only from their turn on."""
    if is_sender(actor, envelope) or actor.has_role(*ALL_SEEING):
        return True
    party = party_of(actor, envelope)
    return party is not None and party.status in (
        Party.Status.READY,
        Party.Status.SIGNED,
        Party.Status.REJECTED,
    )


def may_seal(actor, party: Party) -> bool:
    """HR of the enterprise, and one of the party's sealing users when it names any."""
    if party.envelope.enterprise_id not in getattr(actor, "enterprise_ids", set()):
        return False
    group = list(party.signers.all())
    return not group or actor in group


# ---- the sender's actions ---------------------------------------------------------------------


def can_send(actor, envelope: Envelope) -> Decision:
    if not is_sender(actor, envelope):
        return _no(errors.NOT_A_PARTY)
    if envelope.status != Envelope.Status.DRAFT:
        return _no(errors.NOT_DRAFT)
    return ALLOWED


def can_withdraw(actor, envelope: Envelope) -> Decision:
    """An open envelope nobody has signed yet."""
    if not is_sender(actor, envelope):
        return _no(errors.NOT_A_PARTY)
    if envelope.status not in Envelope.OPEN:
        return _not_open(envelope, "withdraw")
    if any(p.status == Party.Status.SIGNED for p in _parties(envelope)):
        return _no(errors.WITHDRAW_AFTER_SIGNATURE)
    return ALLOWED


def can_void(actor, envelope: Envelope) -> Decision:
    """An envelope in progress after a signature, with a reason everybody sees; a completed
    document is binding and is ended by a further document instead."""
    if not is_sender(actor, envelope):
        return _no(errors.NOT_A_PARTY)
    if envelope.status == Envelope.Status.COMPLETED:
        return _no(errors.COMPLETED_NOT_VOIDABLE)
    if envelope.status not in Envelope.OPEN:
        return _not_open(envelope, "void")
    if not any(p.status == Party.Status.SIGNED for p in _parties(envelope)):
        return _no(errors.VOID_BEFORE_SIGNATURE)
    return ALLOWED


def open_for_signing(envelope: Envelope, action: str = "sign") -> Decision:
    if envelope.status == Envelope.Status.COMPLETED:
        return _no(errors.ALREADY_COMPLETED)
    if envelope.status != Envelope.Status.SENT:
        return _not_open(envelope, action)
    return ALLOWED


def turn_of(party: Party) -> Decision:
    """The party acts only once its turn has come, and signs once."""
    if party.status == Party.Status.SIGNED:
        return _no(errors.PARTY_ALREADY_SIGNED)
    if party.status != Party.Status.READY:
        return _no(errors.NOT_YOUR_TURN)
    return ALLOWED


def enterprise_party_of(envelope: Envelope) -> Party | None:
    return next((p for p in _parties(envelope) if p.role == Party.Role.ENTERPRISE), None)


def can_request_seal_approval(actor, envelope: Envelope, party: Party | None = None) -> Decision:
    opened = open_for_signing(envelope, "seal")
    if not opened:
        return opened
    party = party or enterprise_party_of(envelope)
    if party is None or not may_seal(actor, party):
        return _no(errors.NOT_IN_SIGNING_GROUP)
    return ALLOWED


def can_seal(actor, envelope: Envelope, party: Party | None = None) -> Decision:
    party = party or enterprise_party_of(envelope)
    asked = can_request_seal_approval(actor, envelope, party)
    if not asked:
        return asked
    assert party is not None
    return turn_of(party)


# ---- a person's actions (worker, legal representative) ----------------------------------------


def can_act_as_party(party: Party) -> Decision:
    """Consent, draw, ask for a code, sign or reject: an open envelope, the party's turn."""
    opened = open_for_signing(party.envelope)
    return opened if not opened else turn_of(party)


def can_view_signing_page(party: Party) -> Decision:
    """A later signer is shown nothing before the earlier ones have signed (issue #6)."""
    if party.status == Party.Status.WAITING:
        return _no(errors.NOT_YOUR_TURN)
    return ALLOWED


def can_consent(party: Party, *, total_pages: int) -> Decision:
    """人社厅发〔2021〕54号: the worker agrees to the electronic form after reading every page —
    and only once their real name is verified: a consent is worth only as much as the knowledge
    of who gave it, so the order is real-name check, then reading, then consent, then signing."""
    acting = can_act_as_party(party)
    if not acting:
        return acting
    if party.person is not None and party.person.verification_level not in VERIFIED_LEVELS:
        return _no(errors.IDENTITY_BEFORE_CONSENT)
    if party.read_pages < total_pages:
        return _no(errors.PAGES_UNREAD, total=total_pages, read=party.read_pages)
    return ALLOWED


def can_sign(party: Party) -> Decision:
    acting = can_act_as_party(party)
    if not acting:
        return acting
    if party.consent_at is None:
        return _no(errors.CONSENT_REQUIRED)
    if not party.signature_image:
        return _no(errors.SIGNATURE_IMAGE_REQUIRED)
    return ALLOWED


def link_state(party: Party) -> str:
    """What the SMS link opens: ``used`` after signing or completion (the document is then in
    "my documents", LCL Art. 16), ``ended`` when the envelope or the party's turn is over,
    else ``open``."""
    if party.status == Party.Status.SIGNED or party.envelope.status == Envelope.Status.COMPLETED:
        return "used"
    if not can_act_as_party(party):
        return "ended"
    return "open"


def signing_step(party: Party) -> str:
    """Where the person's signing stands: done, ended, verify, read, draw or code."""
    if party.status == Party.Status.SIGNED:
        return "done"
    if not can_act_as_party(party):
        return "ended"
    if party.person.verification_level not in VERIFIED_LEVELS:
        return "verify"
    if party.consent_at is None:
        return "read"
    if not party.signature_image:
        return "draw"
    return "code"


# ---- what the envelope page offers ------------------------------------------------------------


@dataclass(frozen=True)
class EnvelopeActions:
    send: Decision
    seal: Decision
    request_approval: Decision
    withdraw: Decision
    void: Decision
    evidence_report: Decision


def envelope_actions(actor, envelope: Envelope) -> EnvelopeActions:
    """Every action of the envelope page for this actor, each allowed or with why not."""
    completed = envelope.status == Envelope.Status.COMPLETED
    return EnvelopeActions(
        send=can_send(actor, envelope),
        seal=can_seal(actor, envelope),
        request_approval=can_request_seal_approval(actor, envelope),
        withdraw=can_withdraw(actor, envelope),
        void=can_void(actor, envelope),
        evidence_report=ALLOWED if completed else _no(errors.NOT_COMPLETED),
    )


# ---- batches -------------------------------------------------------------------------------


def batch_start(batch: Batch, *, stalled: bool) -> Decision:
    """May 开始发送 / 继续发送 be pressed? A checked batch with rows to send (and, when some rows
    have problems, HR chose to skip them), a failed one, or one stuck at "sending" because the
    worker holding a chunk died (``stalled``: its lease ran out). The page draws the button from
    this; ``batches.start`` checks the file again (the day may have changed)."""
    if batch.status == Batch.Status.DONE:
        return _no(errors.BATCH_DONE)
    if batch.status in (Batch.Status.QUEUED, Batch.Status.SENDING):
        return ALLOWED if stalled else _no(errors.BATCH_SENDING)
    if batch.status == Batch.Status.CHECKED:
        if batch.bad_rows and not batch.skip_bad_rows:
            return _no(errors.BATCH_HAS_BAD_ROWS, count=batch.bad_rows)
        if batch.total_rows - batch.bad_rows <= 0:
            return _no(errors.BATCH_NO_GOOD_ROWS)
    return ALLOWED
