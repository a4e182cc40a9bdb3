"""`--json` output: one JSON document on stdout, times as ISO 8601 UTC instants, for scripts.

Each listing's shape is a JSON Schema in docs/schemas/ (tests validate the output against it).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def utc(dt: datetime | None) -> str | None:
    """`2024-05-23T06:03:12Z`; None stays None."""
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def emit(document: Any) -> None:
    """Print `document` as indented JSON (UTF-8 text, not \\u escapes)."""
    print(json.dumps(document, ensure_ascii=False, indent=2))
