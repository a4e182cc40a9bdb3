"""Chat services' own message formats; `render(format, alert)` picks one.

One module per service, each rendering `notifiers.view.build_view(alert)` (the view email and
console render too, read through `notifiers.chatformats`) its own way:
`slack` (Block Kit), `discord` (embed), `teams` (Adaptive Card), `mattermost` (Markdown).
`render_digest(format, alerts)` renders a digest as one message in the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from notifiers.base import Alert
from notifiers.formats import discord, mattermost, slack, teams

RENDERERS: dict[str, Callable[[Alert], dict[str, Any]]] = {
    "slack": slack.render,
    "discord": discord.render,
    "teams": teams.render,
    "mattermost": mattermost.render,
}


def render(format_name: str, alert: Alert) -> dict[str, Any]:
    """The JSON body that service `format_name` expects for `alert`."""
    return RENDERERS[format_name](alert)


DIGEST_RENDERERS: dict[str, Callable[[Sequence[Alert]], dict[str, Any]]] = {
    "slack": slack.render_digest,
    "discord": discord.render_digest,
    "teams": teams.render_digest,
    "mattermost": mattermost.render_digest,
}


def render_digest(format_name: str, alerts: Sequence[Alert]) -> dict[str, Any]:
    """The JSON body that service `format_name` expects for a digest of `alerts`: one
    message listing them by watch, within the service's limits."""
    return DIGEST_RENDERERS[format_name](alerts)
