"""Chat services' own message formats; `render(format, alert)` picks one.

One module per service, each rendering `notifiers.chatformats.view(alert)` its own way:
`slack` (Block Kit), `discord` (embed), `teams` (Adaptive Card), `mattermost` (Markdown).
"""

from __future__ import annotations

from collections.abc import Callable
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
