"""Domain errors and their RFC 9457 problem+json rendering.

    DomainError                    a request the rules refuse; carries a stable machine-readable ``code``
    ├── NotFound (404)             also what another org's resources answer: never a 403 with details
    ├── Conflict (409)             a uniqueness, overlap, capacity or state conflict
    ├── InvalidInput (422)         a value the rules refuse, naming the offending ``field``
    ├── Unauthenticated (401)
    ├── Forbidden (403)            the caller's own token lacks a permission
    └── Gone (410)                 a revoked device: the answer tells it to wipe what it holds

A database that is momentarily too busy (SQLite's write lock not granted within busy_timeout, a PostgreSQL deadlock
or serialization failure) answers 503 ``database_busy`` with Retry-After: nothing was changed, try again.
Anything else that escapes a request is a bug or an infrastructure fault: it answers 500 with no details.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, code: str, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field
        self.extra = extra


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"


class Unauthenticated(DomainError):
    status = 401
    title = "Unauthenticated"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Gone(DomainError):
    status = 410
    title = "Gone"


def problem_response(*, status: int, code: str, title: str, detail: str, instance: str, **members: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:usher:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance,
    }
    body.update({key: value for key, value in members.items() if value is not None})
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) if parts else ".".join(str(part) for part in location)


async def _on_domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    return problem_response(
        status=error.status,
        code=error.code,
        title=error.title,
        detail=error.detail,
        instance=request.url.path,
        field=error.field,
        **error.extra,
    )


async def _on_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"field": _field_path(item.get("loc", ())), "message": item.get("msg", ""), "type": item.get("type", "")}
        for item in error.errors()
    ]
    first = errors[0] if errors else {"field": None, "message": "invalid request"}
    return problem_response(
        status=422,
        code="validation_error",
        title="Invalid input",
        detail=f"{first['field']}: {first['message']}" if first["field"] else str(first["message"]),
        instance=request.url.path,
        field=first["field"],
        errors=errors,
    )


async def _on_http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated", 403: "forbidden"}
    return problem_response(
        status=error.status_code,
        code=codes.get(error.status_code, f"http_{error.status_code}"),
        title=str(error.detail) if error.status_code != 404 else "Not found",
        detail=str(error.detail),
        instance=request.url.path,
    )


async def _on_unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem_response(
        status=500,
        code="internal_error",
        title="Internal server error",
        detail="The server failed to handle this request; nothing was changed. Try again.",
        instance=request.url.path,
    )


# SQLSTATEs of PostgreSQL errors after which the same transaction, tried again, may well succeed.
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


def is_transient_database_error(error: BaseException) -> bool:
    original = getattr(error, "orig", None)
    if getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(original or "")


async def _on_operational_error(request: Request, error: Exception) -> JSONResponse:
    if not is_transient_database_error(error):
        return await _on_unexpected_error(request, error)
    logger.warning("database busy on %s %s: %s", request.method, request.url.path, error)
    response = problem_response(
        status=503,
        code="database_busy",
        title="Service busy",
        detail="The database was too busy to take this request; nothing was changed. Try again.",
        instance=request.url.path,
    )
    response.headers["Retry-After"] = "1"
    return response


def install_error_handlers(app: FastAPI) -> None:
    from sqlalchemy.exc import OperationalError

    app.add_exception_handler(OperationalError, _on_operational_error)
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected_error)
