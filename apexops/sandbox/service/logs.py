"""Container-style logging: one JSON object per line on stdout, flushed at once.

Every line has `ts` (ISO 8601, UTC), `level`, `logger` and `message`; extra fields ride along (`kind`,
`type`, `problem_id`, `route`, `status`, `duration_ms` ...). The daemon turns these lines into the
console-log and exception tables that the troubleshooting procedure queries, so an exception is one line
with kind=exception rather than a multi-line traceback.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

__all__ = ["JsonFormatter", "log_exception", "problem_id", "setup_logging"]

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            line.setdefault("kind", "exception")
            line.setdefault("type", type(exc).__name__)
            line.setdefault("problem_id", problem_id(exc))
            line["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(line, default=str, ensure_ascii=False)


def setup_logging(level: str | int = logging.INFO) -> None:
    """Send every logger (uvicorn's included) through one JSON handler on stdout."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True


def problem_id(exc: BaseException) -> str:
    """Application Insights' grouping key: '<type> at <module>.<function>' of the innermost frame."""
    tb = exc.__traceback__
    where = ""
    while tb is not None:
        frame = tb.tb_frame
        where = f"{frame.f_globals.get('__name__', '?')}.{frame.f_code.co_name}"
        tb = tb.tb_next
    where = getattr(exc, "origin", None) or where or "unknown"
    return f"{type(exc).__name__} at {where}"


def log_exception(logger: logging.Logger, exc: BaseException, **fields: Any) -> str:
    """Log one exception line (kind=exception); returns its problem_id for the response body."""
    pid = problem_id(exc)
    logger.error(
        str(exc) or type(exc).__name__,
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"kind": "exception", "type": type(exc).__name__, "problem_id": pid, **fields},
    )
    return pid
