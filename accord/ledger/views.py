"""Public, read-only HTTP endpoints of the ledger (included at ``/ledger/``).

Everything here is public by design -- the ledger holds no personal data in clear -- and as
cacheable as its content allows: an entry, a proof for a fixed tree size and a full tile never
change (``immutable``); the latest checkpoint and partial tiles change with every batch (a few
seconds). Errors are always JSON ``{code, message_zh, message_en, field}`` with a 4xx status,
whatever the client's Accept header, because these endpoints are for programs.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from accord.core.errors import AccordError
from accord.ledger import checkpoints, services, storage
from accord.ledger.errors import (
    INVALID_FIRST,
    INVALID_LEAF_HASH,
    INVALID_SECOND,
    INVALID_TREE_SIZE,
    UNKNOWN_CHECKPOINT,
    UNKNOWN_TILE,
)
from accord.ledger.models import Checkpoint, Witness
from accord.ledger.tiles import TILE_WIDTH, parse_tile_index


def _tile_address(rest: str) -> tuple[int, int]:
    """``<N>[.p/<W>]`` of a tlog-tiles path -> (index, width); UNKNOWN_TILE if malformed."""
    width = TILE_WIDTH
    encoded = rest
    if ".p/" in rest:
        encoded, _, width_text = rest.partition(".p/")
        if (
            not width_text.isdigit()
            or width_text != str(int(width_text))
            or not 0 < int(width_text) < TILE_WIDTH
        ):
            raise UNKNOWN_TILE("tile")
        width = int(width_text)
    try:
        return parse_tile_index(encoded), width
    except ValueError:
        raise UNKNOWN_TILE("tile") from None


IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=5"
MEDIUM = "public, max-age=60"


def _json(body: dict, cache: str, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = cache
    response["Access-Control-Allow-Origin"] = "*"
    return response


def ledger_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET/HEAD only; AccordError becomes its JSON body and status (never a 500 for bad input)."""

    @require_safe
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except AccordError as error:
            response = JsonResponse(
                error.as_dict(), status=error.status, json_dumps_params={"ensure_ascii": False}
            )
            response["Cache-Control"] = "no-store"
            return response

    return wrapper


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


_INT_PARAMS = {"tree_size": INVALID_TREE_SIZE, "first": INVALID_FIRST, "second": INVALID_SECOND}


def _int_param(request: HttpRequest, name: str) -> int:
    raw = request.GET.get(name, "")
    if not raw.isdigit() or len(raw) > 18:
        raise _INT_PARAMS[name](name)
    return int(raw)


def _hash_param(request: HttpRequest, name: str = "leaf_hash") -> bytes:
    """A 32-byte hash given as 64 hex digits or as base64 (the checkpoint's encoding)."""
    raw = request.GET.get(name, "").strip()
    value = b""
    if len(raw) == 64:
        try:
            value = bytes.fromhex(raw)
        except ValueError:
            value = b""
    elif raw:
        try:
            value = base64.b64decode(raw.replace(" ", "+"), validate=True)
        except (binascii.Error, ValueError):
            value = b""
    if len(value) != 32:
        raise INVALID_LEAF_HASH(name)
    return value


@ledger_view
def checkpoint(request: HttpRequest) -> HttpResponse:
    """The latest checkpoint with the log's signature and every cosignature (a signed note)."""
    cp = checkpoints.latest_checkpoint()
    response = HttpResponse(checkpoints.cosigned_text(cp), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = SHORT
    response["Access-Control-Allow-Origin"] = "*"
    return response


@ledger_view
def checkpoint_at(request: HttpRequest, tree_size: int) -> HttpResponse:
    """A checkpoint from the history; cosignatures may still arrive, hence no ``immutable``."""
    cp = Checkpoint.objects.filter(tree_size=tree_size).first()
    if cp is None:
        raise UNKNOWN_CHECKPOINT("tree_size")
    response = HttpResponse(checkpoints.cosigned_text(cp), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = MEDIUM
    return response


@ledger_view
def keys(request: HttpRequest) -> HttpResponse:
    """The public keys a verifier needs (signed-note vkeys)."""
    witnesses = [
        {"name": w.name, "vkey": w.vkey}
        for w in Witness.objects.filter(active=True).order_by("name")
    ]
    return _json({"log": checkpoints.log_verifier().vkey, "witnesses": witnesses}, MEDIUM)


@ledger_view
def inclusion_proof(request: HttpRequest) -> HttpResponse:
    leaf = _hash_param(request)
    size = _int_param(request, "tree_size")
    index, proof = storage.inclusion_proof(leaf, size)
    return _json(
        {
            "leaf_index": index,
            "tree_size": size,
            "leaf_hash": leaf.hex(),
            "proof": [_b64(p) for p in proof],
        },
        IMMUTABLE,
    )


@ledger_view
def consistency_proof(request: HttpRequest) -> HttpResponse:
    first = _int_param(request, "first")
    second = _int_param(request, "second")
    proof = storage.consistency_proof(first, second)
    return _json({"first": first, "second": second, "proof": [_b64(p) for p in proof]}, IMMUTABLE)


@ledger_view
def entry(request: HttpRequest, index: int) -> HttpResponse:
    row = storage.get_entry(index)
    # An entry's time is that of the first signed checkpoint that includes it.
    first = (
        Checkpoint.objects.filter(tree_size__gt=index)
        .order_by("tree_size")
        .values_list("created_at", flat=True)
        .first()
    )
    return _json(
        {
            "index": row.index,
            "kind": row.kind,
            "leaf_hash": row.leaf_hash.hex(),
            "data": _b64(row.data),
            "body": row.body,
            "appended_at": first.isoformat() if first else None,
        },
        IMMUTABLE if first else SHORT,
    )


@ledger_view
def bundle(request: HttpRequest) -> HttpResponse:
    """The public proof bundle of an entry (never with personal disclosures)."""
    leaf = _hash_param(request)
    return _json(services.bundle_for(leaf_hash=leaf), MEDIUM)


@ledger_view
def tile(request: HttpRequest, level: int, rest: str) -> HttpResponse:
    """A tlog-tiles tile: ``/ledger/tile/<L>/<N>`` or ``/ledger/tile/<L>/<N>.p/<W>``."""
    index, width = _tile_address(rest)
    return _binary(storage.get_tile(level, index, width), width)


@ledger_view
def entry_bundle(request: HttpRequest, rest: str) -> HttpResponse:
    """A tlog-tiles entry bundle: ``/ledger/tile/entries/<N>[.p/<W>]``."""
    index, width = _tile_address(rest)
    return _binary(storage.get_bundle(index, width), width)


def _binary(blob: bytes, width: int) -> HttpResponse:
    response = HttpResponse(blob, content_type="application/octet-stream")
    # Full tiles and bundles never change; a partial one is a fixed prefix too, but may be
    # dropped once the full one exists (tlog-tiles), so it is cached for a short time only.
    response["Cache-Control"] = IMMUTABLE if width == TILE_WIDTH else MEDIUM
    response["Access-Control-Allow-Origin"] = "*"
    return response
