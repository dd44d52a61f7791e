"""OpenAPI schema (drf-spectacular): the hooks, and an AutoSchema that documents what every
operation may answer besides success: who may call it and the error answers it can give."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from drf_spectacular import openapi
from rest_framework import permissions
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

ERROR_REF = {"$ref": "#/components/schemas/Error"}
# The one error shape of config/exceptions.py.
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: a message for people, a code for programs, the fields named.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {}},
    },
    "required": ["detail", "code", "fields"],
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}
MEANINGS = {
    400: "The input is not valid; `fields` names what is wrong.",
    401: "Not logged in, or the credentials are not valid.",
    403: "Not allowed for this role, or the CSRF token of a session is missing.",
    404: "There is no such object (or it is not yours), or no such page of a list.",
    409: "The object's state does not allow it; code `busy`: retry after `Retry-After` seconds.",
    429: "Too many requests: retry after `Retry-After` seconds.",
}
_PLAIN_PERMISSIONS = (
    permissions.AllowAny,
    permissions.IsAuthenticated,
    permissions.IsAuthenticatedOrReadOnly,
)
_PAGING = {"page", "page_size"}


def drop_slash_duplicates(
    endpoints: list[tuple[Any, ...]], **_kwargs: Any
) -> list[tuple[Any, ...]]:
    """Calendar files are served at ".../invite.ics" (a file name keeps no trailing slash); the
    router's ".../invite.ics/" twin stays routable but is left out of the schema."""
    paths = {endpoint[0] for endpoint in endpoints}
    return [
        endpoint
        for endpoint in endpoints
        if not (endpoint[0].endswith(".ics/") and endpoint[0][:-1] in paths)
    ]


def add_error_component(result: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """The `Error` component the operations' error answers refer to (unless a serializer of
    the same shape registered it already)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    return result


def error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": MEANINGS[status],
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if status in (409, 429):
        response["headers"] = RETRY_AFTER
    return response


class AutoSchema(openapi.AutoSchema):
    """Adds to each operation what the code around its view decides, so that no view has to
    repeat it: anonymous access where its permissions let an anonymous caller in, and the
    error answers its authentication, permissions, parameters, method and throttles make
    possible. An answer an operation documents itself (`extend_schema`) is kept as it is."""

    def get_auth(self) -> list[dict[str, Any]]:
        auths = super().get_auth()
        if {} not in auths and self._anonymous_allowed():
            auths.append({})
        return auths

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for status in self._error_statuses(operation):
            responses.setdefault(str(status), error_response(status))
        for status in ("409", "429"):  # declared by the view or here: the client may retry
            if status in responses:
                responses[status].setdefault("headers", RETRY_AFTER)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _anonymous_allowed(self) -> bool:
        """Would the view's permissions let a caller without credentials in? (Custom permission
        classes are asked, with an anonymous request of this method.)"""
        http = HttpRequest()
        http.method = self.method
        request = Request(http)
        request.user = AnonymousUser()
        try:
            return all(p.has_permission(request, self.view) for p in self.view.get_permissions())
        except Exception:  # a permission that needs more of a request: assume it needs a login
            return False

    def _error_statuses(self, operation: dict[str, Any]) -> set[int]:
        parameters = operation.get("parameters", [])
        query = {p["name"] for p in parameters if p.get("in") == "query"}
        safe = self.method in permissions.SAFE_METHODS
        authenticators = self.view.get_authenticators()
        custom_permission = any(
            not isinstance(p, _PLAIN_PERMISSIONS) for p in self.view.get_permissions()
        )
        statuses = set()
        if "requestBody" in operation or query - _PAGING:
            statuses.add(400)
        if authenticators:  # a wrong token is a 401 even where no login is needed
            statuses.add(401)
        if not safe and (
            custom_permission or any(isinstance(a, SessionAuthentication) for a in authenticators)
        ):
            statuses.add(403)
        if any(p.get("in") == "path" for p in parameters) or "page" in query:
            statuses.add(404)
        if not safe:  # a state that forbids the change, or a lock held too long (`busy`)
            statuses.add(409)
        if any(self._throttles(t) for t in self.view.get_throttles()):
            statuses.add(429)
        return statuses

    def _throttles(self, throttle: Any) -> bool:
        # ScopedRateThrottle counts only on views that name their scope.
        return not isinstance(throttle, ScopedRateThrottle) or bool(
            getattr(self.view, "throttle_scope", None)
        )
