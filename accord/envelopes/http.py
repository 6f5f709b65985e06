"""What the envelope pages and API handlers share when they answer: a PDF, an archive ZIP."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse

from accord.envelopes.services import Download


def pdf_response(request: HttpRequest, download: Download) -> HttpResponse:
    """Inline by default, an attachment with ``?download=1``; never cached by a shared cache
    (the documents carry personal data). Inline, it may be framed by our own pages only."""
    response = HttpResponse(download.data, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{download.filename}"'
    response["Cache-Control"] = "private, no-store"
    if disposition == "inline":
        # HR's 预览 frames the PDF in our own page: framing by our own origin only, on this
        # response only (every other page keeps X-Frame-Options: DENY).
        response["X-Frame-Options"] = "SAMEORIGIN"
        response["Content-Security-Policy"] = "frame-ancestors 'self'"
    return response


def archive_response(enterprise, state: dict, handle) -> FileResponse:
    """The archive export's ZIP, streamed from storage (it may be large)."""
    day = state["created_at"][:10].replace("-", "")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"accord-archive-{enterprise.uscc}-{day}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response
