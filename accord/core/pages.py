"""The page shell every app's pages are built on: the login guard, the one list page, the error
pages, the shell's context and the links a higher app adds to a lower app's page.

Nothing here knows which apps exist. The login page is ``settings.LOGIN_URL``; the links on an
object's page (an enterprise's seals, its webhooks) are registered by the app that composes the
site (``accord.site.navigation``), so a lower app's page never names a higher app's URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from accord.core.errors import NotFound
from accord.core.middleware import error_response
from accord.core.pagination import paginate
from accord.core.scoping import scoped


def staff_page(*roles: str) -> Callable:
    """A page for logged-in users (with TOTP passed where the role needs it), optionally by role.

    A user without one of ``roles`` gets a 404: a page they may not open does not exist for them.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user: Any = request.user  # Accord's User (identity), known here by what it does
            if not user.is_authenticated or (user.needs_totp and not user.is_verified()):
                return redirect_to_login(request.get_full_path())
            if roles and not user.has_role(*roles):
                raise NotFound()
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def next_url(request: HttpRequest) -> str:
    """Where to go after a form (``next``), if it is on this site; else home."""
    target = request.POST.get("next") or request.GET.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, {request.get_host()}) else "/"


def object_list(
    request: HttpRequest,
    *,
    model: type[Model],
    filterset_class: type,
    title: str,
    columns: list[tuple[str, str]],
    row_template: str,
    detail_url: str,
) -> HttpResponse:
    """The one shape of every list page: filter form, table (cards on a phone), pagination."""
    fs = filterset_class(request.GET, queryset=scoped(model, request.user))
    page = paginate(
        fs.qs if fs.is_valid() else model._default_manager.none(), request.GET.get("page"), 50
    )
    query = request.GET.copy()
    query.pop("page", None)
    ctx = {
        "title": title,
        "filter": fs,
        "page": page,
        "columns": columns,
        "row_template": row_template,
        "detail_url": detail_url,
        "query": query.urlencode(),
    }
    template = "core/object_list_rows.html" if request.htmx else "core/object_list.html"  # type: ignore[attr-defined]
    return render(request, template, ctx)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: the same page (or JSON) as any other NotFound."""
    return error_response(request, NotFound())


def unknown_url(request: HttpRequest, path: str = "") -> HttpResponse:
    """The last URL pattern: any address nothing else answers.

    A page's address typed with or without its trailing slash (``/login/``, ``/envelopes``)
    leads to the page; anything else is the site's own 404 page (or JSON under the API) — also in
    development, where Django would otherwise show its DEBUG page listing every URL pattern.
    """
    other = request.path[:-1] if request.path.endswith("/") else request.path + "/"
    if other != "/" and request.method in ("GET", "HEAD"):
        try:
            match = resolve(other)
        except Resolver404:
            match = None
        if match is not None and match.func is not unknown_url:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(other + (f"?{query}" if query else ""))
    return error_response(request, NotFound())


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``."""
    return render(request, "core/500.html", status=500)


def shell(request: HttpRequest) -> dict[str, Any]:
    """Context processor of the shell itself: title, large type, developer pages."""
    return {
        "debug_pages": settings.DEBUG,
        "large_type": request.COOKIES.get("large_type") == "1",
        "site_title": "福田区和谐劳动关系服务平台",
    }


@dataclass(frozen=True)
class PageLink:
    """A button on an object's page that leads to another app's page about that object."""

    url_name: str
    label: str
    shown: Callable[[Any, Any], bool]  # (user, object) -> may the user follow it?


_links: dict[str, list[PageLink]] = {}


def add_page_links(slot: str, *links: PageLink) -> None:
    """Offer ``links`` on the pages that draw ``slot`` (e.g. "identity.enterprise")."""
    registered = _links.setdefault(slot, [])
    registered.extend(link for link in links if link not in registered)


def page_links(slot: str, user: Any, obj: Any) -> list[tuple[str, str]]:
    """(href, label) of the links registered for ``slot`` that ``user`` may follow for ``obj``."""
    return [
        (reverse(link.url_name, args=[obj.public_id]), str(link.label))
        for link in _links.get(slot, [])
        if link.shown(user, obj)
    ]
