"""The OpenAPI 3.1 document of /api/v1/, served at /api/v1/openapi.json; the API tests validate
every answer of every path against it."""

from __future__ import annotations

from typing import Any

from monitor import __version__

_STR = {"type": "string"}
_INT = {"type": "integer"}
_WHEN = {"type": ["string", "null"], "format": "date-time"}
_OPT = {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props),
            "additionalProperties": False}


def _page(item: str) -> dict[str, Any]:
    return _object({"data": {"type": "array", "items": _ref(item)},
                    "limit": _INT, "offset": _INT, "next": _OPT})


SCHEMAS: dict[str, Any] = {
    "Error": _object({"error": _STR}),
    "Feed": _object({
        "name": _STR, "url": _STR, "title": _STR,
        "status": {"enum": ["new", "ok", "failing", "gone"]}, "configured": {"type": "boolean"},
        "moved_to": _OPT, "last_poll_at": _WHEN, "last_success_at": _WHEN,
        "next_poll_at": _WHEN, "consecutive_failures": _INT, "items": _INT,
        "last_error": _OPT, "warning": _OPT}),
    "Item": _object({
        "id": _INT, "feed": _STR, "key": _STR, "guid": _OPT, "link": _OPT,
        "first_seen_at": _WHEN, "changed_at": _WHEN, "version": _INT, "title": _STR}),
    "Version": _object({
        "number": _INT, "recorded_at": _WHEN, "title": _STR, "link": _OPT, "summary": _STR,
        "content": _STR, "published": _WHEN, "updated": _WHEN, "silent_reason": _OPT,
        "page_title": _OPT, "page_text": _OPT, "page_published": _WHEN,
        "page_modified": _WHEN}),
    "Delivery": _object({
        "id": _INT, "event": _INT, "notifier": _STR, "alert_id": _STR,
        "state": {"enum": ["waiting", "failing", "given_up", "sent"]}, "attempts": _INT,
        "watches": {"type": "array", "items": _STR},
        "matched": {"type": "array", "items": _STR}, "created_at": _WHEN,
        "next_attempt_at": _WHEN, "sent_at": _WHEN, "last_error": _OPT}),
    "Change": _object({"field": _STR, "before": {}, "after": {},
                       "truncated": {"type": "boolean"}}),
    "Event": _object({
        "id": _INT, "type": {"enum": ["item.new", "item.changed", "feed.failing",
                                      "feed.recovered", "test"]},
        "occurred_at": _WHEN, "feed": _OPT, "item": {"type": ["integer", "null"]},
        "version": {"type": ["integer", "null"]}, "title": _OPT, "link": _OPT,
        "watches": {"type": "object", "additionalProperties": {"type": "array",
                                                               "items": _STR}},
        "match": _OPT, "changes": {"type": "array", "items": _ref("Change")},
        "error": _OPT, "deliveries": {"type": "array", "items": _ref("Delivery")}}),
    "Watch": _object({
        "name": _STR, **{k: {"type": "array", "items": _STR} for k in
                         ("keywords", "all", "exclude", "regex", "exact", "feeds", "on",
                          "notify")}, "atom": _STR}),
    "Trial": _object({"item": _INT, "feed": _STR, "title": _STR,
                      "matched": {"type": "array", "items": _STR}}),
    "FeedPage": _page("Feed"), "ItemPage": _page("Item"), "EventPage": _page("Event"),
    "DeliveryPage": _page("Delivery"),
    "ItemDetail": {"allOf": [{"$ref": "#/components/schemas/Item"}]},
    "Retry": _object({"sent": _INT, "failed": _INT, "errors": {"type": "array",
                                                                "items": _STR}}),
}
# An item with its versions: Item's fields plus `versions` (allOf cannot loosen
# additionalProperties, so it is spelled out).
SCHEMAS["ItemDetail"] = _object({**SCHEMAS["Item"]["properties"],
                                 "versions": {"type": "array", "items": _ref("Version")}})

_PAGING = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                       "maximum": 200, "default": 50}},
           {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0,
                                                        "default": 0}}]


def _q(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description,
            "schema": {"type": "string", **schema}}


def _path_param(name: str, kind: str = "integer") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ref(schema)}}}


_ERRORS = {"400": _ok("Error", "Bad parameters"), "401": {"description": "Authentication "
                                                          "required (token or password)"}}


def _get(summary: str, schema: str, params: list[dict[str, Any]] | None = None,
         not_found: bool = False) -> dict[str, Any]:
    responses = {"200": _ok(schema), **_ERRORS}
    if not_found:
        responses["404"] = _ok("Error", "Not found")
    return {"get": {"summary": summary, "parameters": params or [], "responses": responses}}


def _post(summary: str, params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"post": {
        "summary": summary, "parameters": [
            *(params or []),
            {"name": "X-CSRF-Token", "in": "header", "schema": _STR,
             "description": "from GET /api/v1/csrf; not needed with a bearer token"}],
        "responses": {"200": _ok("Retry"), "403": {"description": "CSRF token missing"},
                      **_ERRORS}}}


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy: callers may change it)."""
    events_params = [_q("watch", "only events that matched this watch"),
                     _q("feed", "only this feed's events"),
                     _q("type", "only this event type", enum=["item.new", "item.changed",
                                                              "feed.failing", "feed.recovered",
                                                              "test"]),
                     _q("since", "from this instant or date (ISO 8601)"),
                     _q("until", "before this instant; a bare date includes that day"),
                     _q("q", "words in the title, summary or content"), *_PAGING]
    paths: dict[str, Any] = {
        "/api/v1/csrf": {"get": {"summary": "The CSRF token for POSTs", "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": _object(
                {"csrf": _STR})}}}, **_ERRORS}}},
        "/api/v1/feeds": _get("Feeds and their health", "FeedPage", _PAGING),
        "/api/v1/items": _get("Items, most recently changed first", "ItemPage",
                              [_q("feed", "only this feed's items"), *_PAGING]),
        "/api/v1/items/{id}": _get("One item with every version", "ItemDetail",
                                   [_path_param("id")], not_found=True),
        "/api/v1/items/{id}/versions": _get(
            "Every version of one item, silent ones too", "VersionList", [_path_param("id")],
            not_found=True),
        "/api/v1/events": _get("Events newest first, with their deliveries", "EventPage",
                               events_params),
        "/api/v1/deliveries": _get("The outbox, newest first", "DeliveryPage", [
            _q("state", "which rows", enum=["unsent", "waiting", "failing", "given_up",
                                            "sent"]), *_PAGING]),
        "/api/v1/deliveries/retry": _post("Retry every failed or given-up delivery now"),
        "/api/v1/deliveries/{id}/retry": _post("Retry one delivery now", [_path_param("id")]),
        "/api/v1/watches": _get("The watches of the running config", "WatchList"),
        "/api/v1/watches/{name}/try": _get(
            "What a watch would have alerted on among the items of the last days",
            "TrialList", [_path_param("name", "string"),
                          {"name": "days", "in": "query", "schema": {
                              "type": "integer", "minimum": 1, "maximum": 365,
                              "default": 7}}], not_found=True),
    }
    schemas = dict(SCHEMAS)
    schemas["VersionList"] = _object({"data": {"type": "array", "items": _ref("Version")}})
    schemas["WatchList"] = _object({"data": {"type": "array", "items": _ref("Watch")}})
    schemas["TrialList"] = _object({"watch": _STR, "days": _INT,
                                    "data": {"type": "array", "items": _ref("Trial")}})
    return {
        "openapi": "3.1.0",
        "info": {"title": "veille console API", "version": __version__,
                 "description": "Read what veille found, and retry deliveries. Listings are "
                                "paginated with limit and offset; instants are UTC."},
        "servers": [{"url": "/"}],
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "basic": {"type": "http", "scheme": "basic"}}},
        "security": [{}, {"bearer": []}, {"basic": []}],
        "paths": paths,
    }
