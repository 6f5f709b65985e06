"""``accord check --deploy`` fails (errors, not warnings) on an unsafe production configuration."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

from accord.core.storage import EncryptedStorage


@register(Tags.security, deploy=True)
def production_is_safe(app_configs, **kwargs) -> list[Error]:
    if not getattr(settings, "PRODUCTION", False):
        return []
    problems = []

    def refuse(check_id: str, what: str) -> None:
        problems.append(Error(what, id=f"accord.{check_id}"))

    if settings.DEBUG:
        refuse("E001", "DEBUG is on in production (ACCORD_DEBUG=1): tracebacks would leak.")
    if settings.SECURE_HSTS_SECONDS < 180 * 86400:
        refuse("E002", "HSTS is shorter than 180 days (ACCORD_HSTS_SECONDS).")
    if not settings.SECURE_SSL_REDIRECT:
        refuse("E003", "Plain HTTP is not redirected to HTTPS (ACCORD_SSL_REDIRECT=1).")
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        refuse("E004", "Session or CSRF cookies are not Secure.")
    if "*" in settings.ALLOWED_HOSTS:
        refuse("E005", "ALLOWED_HOSTS accepts any host.")
    backend = settings.STORAGES["default"]["BACKEND"]
    if backend != f"{EncryptedStorage.__module__}.{EncryptedStorage.__name__}":
        refuse("E006", f"Documents would be stored unencrypted ({backend}).")
    if "script-src" not in settings.CONTENT_SECURITY_POLICY.get("DIRECTIVES", {}):
        refuse("E007", "No Content-Security-Policy for scripts.")
    return problems
