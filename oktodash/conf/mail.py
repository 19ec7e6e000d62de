"""Where mail goes, from EMAIL_URL."""

from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def mailer(url: str, var_dir: Path, timeout: int = 10) -> dict[str, object]:
    """Django 6.1's MAILERS["default"] from EMAIL_URL (the EMAIL_* settings are deprecated)."""
    parts = urlsplit(url)
    if not url or parts.scheme == "file":
        path = (parts.path if url else "") or str(var_dir / "mail")
        return {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": path},
        }
    if parts.scheme in ("console", "locmem"):
        return {"BACKEND": f"django.core.mail.backends.{parts.scheme}.EmailBackend"}
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has a port that is not a number") from None
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL needs a host, e.g. smtp://user:pass@host:587")
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": parts.hostname,
            "port": port or {"smtps": 465, "smtp+plain": 25}.get(parts.scheme, 587),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            # smtp:// and smtp+tls:// use STARTTLS; smtp+plain:// is for a local relay.
            "use_tls": parts.scheme in ("smtp", "smtp+tls"),
            "use_ssl": parts.scheme == "smtps",
            "timeout": timeout,
        },
    }
