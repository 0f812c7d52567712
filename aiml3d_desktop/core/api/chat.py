"""Chat calls answered in a JSON schema (the scene's planner, Look again, Compare with the
photo): ``/v1/chat/completions`` with ``response_format`` a strict ``json_schema``; the
answer's text (``choices[0].message.content``), or its refusal; and one retry when the
answer cannot be used, the answer and what was wrong with it quoted back in messages of
their own, then one message a person can act on."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

from aiml3d_desktop.core.api.client import AimlClient
from aiml3d_desktop.core.api.params import CHAT_ENDPOINT
from aiml3d_desktop.core.common.errors import BadResponseError, InputError

T = TypeVar("T")
TRIES = 2  # the first answer, and one retry with its error quoted
MAX_ANSWER_QUOTED = 20_000  # characters of a bad answer sent back with the retry


def body(
    asking: list[dict],
    model: str,
    name: str,
    schema: dict,
    mistake: str | None = None,
    answered: str | None = None,
) -> dict:
    """The call: the ``asking`` messages, then (a retry) the answer before and what was
    wrong with it (``mistake``); the answer's format the schema ``name``d."""
    messages = list(asking)
    if mistake is not None:
        if answered is not None:
            messages.append({"role": "assistant", "content": answered[:MAX_ANSWER_QUOTED]})
        note = f"That answer could not be used: {mistake}. Answer again, all of it."
        messages.append({"role": "user", "content": note})
    return {
        "model": model,
        "messages": messages,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema, "strict": True},
        },
    }


def text(answer: dict, unusable: type[InputError] = InputError, who: str = "The model") -> str:
    """The answer's text; a refusal, or a message with no text, as ``unusable``."""
    try:
        message = answer["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        raise BadResponseError(
            f"{who}'s answer holds no message (choices[0].message)",
            hint="Try again; if it keeps happening, choose another model.",
        ) from None
    if not isinstance(message, dict):
        raise BadResponseError(f"{who}'s answer's message is not a JSON object")
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal.strip():
        raise unusable(f"the model refused ({refusal.strip()[:200]})")
    content = message.get("content")
    if not isinstance(content, str):
        raise unusable("the answer has no text")
    return content


def ask(
    client: AimlClient,
    asking: list[dict],
    model: str,
    name: str,
    schema: dict,
    read: Callable[[str], T],
    unusable: type[InputError],
    who: str,
    hint: str,
) -> T:
    """What ``read`` makes of the answer (it raises ``unusable`` for one it cannot use):
    asked once, and once more with the mistake quoted; then one ``unusable``."""
    mistake: str | None = None
    answered: str | None = None
    for _ in range(TRIES):
        asked = body(asking, model, name, schema, mistake, answered)  # the bad answer quoted
        answered = None
        try:
            answered = client.call(
                asked, partial(text, unusable=unusable, who=f"The {who}"), path=CHAT_ENDPOINT
            )
            return read(answered)
        except unusable as exc:
            mistake = exc.message
    raise unusable(f"The {who} gave no answer that could be used, twice (the last: {mistake})",
                   hint=hint)  # fmt: skip
