"""The Content Security Policy and the logging configuration."""

from django.utils.csp import CSP

# Strict CSP: nothing inline, nothing evaluated. htmx is configured (see base.html)
# so that it needs neither, and we never use hx-on or inline handlers.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    # Link previews show the linked page's image; images cannot run code.
    "img-src": [CSP.SELF, "data:", "https:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}


def logging_config(level: str) -> dict[str, object]:
    """Every line through one handler at `level`, with secrets cut out."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            # Share tokens and upload signatures are cut out of every line
            # (oktodash/logredact.py).
            "plain": {
                "()": "oktodash.logredact.RedactingFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
            }
        },
        "filters": {"quiet_refusals": {"()": "oktodash.logredact.QuietRefusals"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "filters": ["quiet_refusals"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # urllib3 logs request lines at DEBUG; keep it quiet so nothing near the
            # Authorization header is ever written out.
            "urllib3": {"level": "WARNING"},
            # Django's own handlers for these ("Not Found: /s/<token>/" with DEBUG on,
            # runserver's request lines) would write URLs unredacted: without handlers
            # of their own, their records reach the root's redacting one.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {"handlers": [], "level": level, "propagate": True},
        },
    }
