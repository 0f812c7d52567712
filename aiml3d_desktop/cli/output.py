"""What every ``aiml3d`` command shares: exit codes and how it speaks (one line per error,
each warning once, JSON for scripts)."""

from __future__ import annotations

import json
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EPILOG = """\
The API key comes from the AIMLAPI_KEY environment variable, else from the OS keychain
(save it there with `aiml3d key set`). The API base URL comes from --api-base, else
AIML_API_BASE, else the settings file.
"""


def error(message: str) -> None:
    print(f"aiml3d: error: {message}", file=sys.stderr)


def warn_all(warnings: list[str]) -> None:
    """Warnings collected by core (damaged settings, a repaired library), each printed once:
    core also logs them, but the console shows only errors (see cli.main())."""
    for warning in warnings:
        print(f"aiml3d: warning: {warning}", file=sys.stderr)


def print_json(data: object) -> None:
    print(json.dumps(data, indent=2))


def mib(size: int | None) -> str:
    return f"{(size or 0) / 2**20:.2f} MiB"
