"""Bearer secrets never reach a log: share and review tokens (`/s/<token>/`,
`/r/<token>/`) and the signatures of the one-hour upload addresses
(`/attachments/source/<signed>/…`) are replaced before a line is written, in Django's
logs (`RedactingFormatter`, the formatter in settings.LOGGING) and in gunicorn's access
log (`GunicornLogger`, set in gunicorn.conf.py, which gunicorn reads from the working
directory).

Either URL opens something without a login, so a line of an access log, a "Not Found:
/s/…" warning or a traceback would be as good as the link itself. Percent-encoded
paths are decoded first (`/%73/<token>/` is the same page). Pure: no Django import.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
# Any segment after /s/ or /r/ (share and review links; a mistyped or cut-short token is
# nearly the token), and the signed segment of an upload address; leading slashes doubled or not.
_SECRETS = re.compile(r"(/+[sr]/+|/+attachments/+source/+)[^/\s?#\"'<>]+", re.IGNORECASE)


def _sub(text: str) -> str:
    return _SECRETS.sub(lambda m: m.group(1) + REDACTED, text)


def redact(text: str) -> str:
    out = _sub(text)
    if "%" in out:
        # Decoded only when decoding reveals a secret: other lines keep their encoding.
        decoded = unquote(out)
        if _sub(decoded) != decoded:
            return _sub(decoded)
    return out


class RedactingFormatter(logging.Formatter):
    """logging.Formatter whose whole output (message, traceback, stack) is redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class QuietRefusals(logging.Filter):
    """A refused request (403: a viewer opening an editor's page) is one line, not a
    traceback: Django logs PermissionDenied with the exception attached, and a refusal
    is the product working, not a fault to debug."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True


class GunicornLogger(Logger):
    """gunicorn's logger with every access-log atom redacted (the request line, path,
    query, referer and every header), and its error log redacted too."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                base = handler.formatter or logging.Formatter()
                handler.setFormatter(RedactingFormatter(base._fmt, base.datefmt))
