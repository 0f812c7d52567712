"""How deeply JSON data nests, found without recursion: Python's json reads about a
thousand levels, but much that handles the data after it (dataclasses.asdict, json.dumps,
copies) takes two stack frames a level and fails at half that."""

from __future__ import annotations

MAX_LEVELS = 64  # what the app's own files and the API's answers need is a handful


def deeper_than(data: object, levels: int = MAX_LEVELS) -> bool:
    """Whether lists and objects in ``data`` nest more than ``levels`` deep."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            if depth > levels:
                return True
            stack.extend((item, depth + 1) for item in value)
    return False
