"""The AIML API client: one documented call, ``POST /v1/images/generations``, done carefully."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TypeVar
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ReadTimeoutError

from aiml3d_desktop.core.api import answers, calls, keys
from aiml3d_desktop.core.api.answers import MeshLink
from aiml3d_desktop.core.api.models import Model, ModelParams
from aiml3d_desktop.core.api.params import (
    DEFAULT_BASE,
    ENDPOINT,
    TEXT_TO_IMAGE_MODEL,
    TriposrParams,
)
from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.common.errors import (
    Aiml3DError,
    ApiError,
    BadResponseError,
    Cancelled,
    ConfigError,
    InputError,
    NetworkError,
)
from aiml3d_desktop.core.net.http import (
    TooLarge,
    Watch,
    make_session,
    no_route,
    read_capped,
    root_cause,
)
from aiml3d_desktop.core.net.policy import (
    API_ANSWER_LIMIT,
    ERROR_BODY_LIMIT,
    RetryPolicy,
    Timeouts,
    check_url,
    is_loopback,
)
from aiml3d_desktop.core.pictures.images import PreparedImage

log = logging.getLogger(__name__)
T = TypeVar("T")
UPLOAD_CHUNK = 64 * 1024

HINTS = {
    400: "Check the parameters and the image.",
    401: "Set a valid API key in Settings or in the AIMLAPI_KEY environment variable.",
    403: "Your AIML account is out of credits: top it up, then try again.",
    404: "Check the API base URL in Settings.",
    422: "Check the parameters and the image.",
    429: "Too many requests: wait a minute, then try again.",
    500: "The AIML service failed, or the model is under maintenance: try again later.",
    502: "The AIML service is having trouble: try again in a few minutes.",
    503: "The AIML service is unavailable: try again in a few minutes.",
    504: "Generation timed out: try a lower marching-cubes resolution.",
}
DATA_URI_HINT = (
    "The service may not accept a local file sent inline: put the image at a public "
    "http(s) address and give that address instead."
)


INLINE_PICTURE_LIMIT = 72 * 2**20  # bytes of an answer holding a picture as base64 (50 MiB)


@dataclass(frozen=True)
class PictureLink:
    """A picture made by a text-to-image model."""

    url: str
    request_id: str | None
    credits_used: float | None = None


class _Upload:
    """A request body that reports how much of it has been handed to the socket.

    ``__len__`` lets requests send a Content-Length instead of chunked encoding;
    ``__iter__`` starts over, so a retried request sends the whole body again.
    """

    def __init__(self, payload: bytes, on_sent: Callable[[int, int], None], cancel: CancelToken):
        self._payload, self._on_sent, self._cancel = payload, on_sent, cancel

    def __len__(self) -> int:
        return len(self._payload)

    def __iter__(self) -> Iterator[bytes]:
        total = len(self._payload)
        for start in range(0, total, UPLOAD_CHUNK):
            self._cancel.check()
            yield self._payload[start : start + UPLOAD_CHUNK]
            self._on_sent(min(start + UPLOAD_CHUNK, total), total)


class AimlClient:
    def __init__(
        self,
        api_key: str | None,
        base_url: str = DEFAULT_BASE,
        *,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        cancel: CancelToken | None = None,
        record: Callable[[calls.Call], object] | None = None,
    ) -> None:
        """``record`` hears of every model call, made or failed (the usage ledger)."""
        if not api_key:
            raise ConfigError(
                "No AIML API key is set",
                hint="Save one in Settings (or with `aiml3d key set`), or set AIMLAPI_KEY.",
            )
        keys.check(api_key)
        self.base_url = check_url(base_url.rstrip("/"), "API base URL")
        # Links the API hands out (the mesh, a drawn picture) may lead into this machine only
        # when the API itself is on it (the test server).
        self.local_links_ok = is_loopback(urlsplit(self.base_url).hostname)
        self._key = api_key
        self._timeouts = timeouts
        self._cancel = cancel or CancelToken()
        self._session = make_session(retry, self._cancel, retry_post=True)
        self._gate = retry.gate
        self._on_call = record

    def _record(self, call: calls.Call) -> None:
        if self._on_call is not None:
            self._on_call(call)

    def __repr__(self) -> str:  # never show the key
        return f"AimlClient({self.base_url!r})"

    def generate_3d(
        self,
        params: TriposrParams | ModelParams,
        image: PreparedImage,
        on_sent: Callable[[int, int], None] = lambda done, total: None,
    ) -> MeshLink:
        """One picture to a mesh link (TripoSR's call)."""
        return self.generate(params, {"image": image}, on_sent).mesh

    def generate(
        self,
        params: TriposrParams | ModelParams,
        inputs: dict[str, PreparedImage | str],
        on_sent: Callable[[int, int], None] = lambda done, total: None,
    ) -> answers.Answer:
        """Any registered model: its inputs (pictures by slot, or a mesh link), its checked
        parameters; the answer read by the model's own reader."""
        request = ModelParams.of(params).validate()
        spec = request.spec
        urls = {k: v if isinstance(v, str) else v.image_url for k, v in inputs.items()}
        # The long-running models get their documented time, or the user's if longer.
        read = max(self._timeouts.read, spec.minutes * 60) if spec.minutes else None
        try:
            return self.call(
                request.body(urls),
                lambda body: answers.read(spec.answer, body),
                on_sent,
                read=read,
            )
        except ApiError as exc:
            inline = any(isinstance(v, PreparedImage) and not v.is_url for v in inputs.values())
            if exc.status in (400, 422) and inline and _mentions_image(exc.message):
                exc.hint = DATA_URI_HINT
            elif _not_for_this_account(exc, spec):
                exc.hint = (
                    f"Your account may not have {spec.title} ({spec.id}). {spec.note} "
                    "Choose another model, or check your AIML plan."
                ).replace("  ", " ")
            raise

    def text_to_image(self, prompt: str, model: str = TEXT_TO_IMAGE_MODEL) -> PictureLink:
        """A picture from a text-to-image model (same endpoint); its URL is on the CDN."""
        if not 0 < len(prompt) <= 4000:
            raise InputError("A prompt must be 1 to 4000 characters long")
        try:
            return self.call(drawing_body(prompt, model), _picture_link)
        except ApiError as exc:
            if exc.status in (400, 422):  # no picture was sent: HINTS' words do not fit
                exc.hint = f"Check the prompt, and that {model} is a text-to-image model."
            raise

    def edit_image(self, prompt: str, image_url: str, model: str, seed: int) -> PictureLink:
        """One picture from an image-editing model given ``image_url`` (a link, or the
        picture inline as a data URI) and ``prompt``; its link, or the picture inline (a
        ``data:`` URL) when the answer carries it as base64."""
        if not 0 < len(prompt) <= 4000:
            raise InputError("A prompt must be 1 to 4000 characters long")
        body = {
            "model": model, "prompt": prompt, "image_urls": [image_url],
            "aspect_ratio": "1:1", "num_images": 1, "seed": seed,
        }  # fmt: skip
        try:  # the picture may come inline, as base64 (a 4K picture: tens of MB)
            return self.call(body, _edited_picture, largest=INLINE_PICTURE_LIMIT)
        except ApiError as exc:
            if exc.status in (400, 422):
                exc.hint = f"Check that {model} is an image-editing model that takes image_urls."
            raise

    def call(
        self,
        body: dict,
        read_answer: Callable[[dict], T],
        on_sent: Callable[[int, int], None] = lambda done, total: None,
        *,
        read: float | None = None,
        path: str = ENDPOINT,
        largest: int = API_ANSWER_LIMIT,
    ) -> T:
        """One model call: ``post()`` the body to ``path`` (the pictures' and models' endpoint,
        or the chat's), read the answer with ``read_answer``; the
        call goes to the usage ledger (``record``), made or failed, with what the answer
        said it cost (a charged call whose answer cannot be used still cost that)."""
        model = str(body.get("model"))
        params = calls.params_key(model, _values(body))
        started = time.monotonic()

        def note(ok: bool, error: Aiml3DError | None = None, answer: dict | None = None):
            said = answer or {}
            rid = said.get("requestId") or (error.request_id if error else None)
            self._record(
                calls.Call(
                    at=calls.now(),
                    model=model,
                    ok=ok,
                    kind="" if ok else calls.kind_of(error or Aiml3DError("")),
                    credits=answers.credits(said),
                    usd=answers.dollars(said),
                    seconds=round(time.monotonic() - started, 3),
                    params=params,
                    message=error.message if error else "",
                    request_id=str(rid) if isinstance(rid, str | int) else None,
                )
            )

        try:
            answer = self.post(path, body, on_sent, read=read, largest=largest)
        except Cancelled:
            raise
        except Aiml3DError as exc:
            note(False, exc)
            raise
        try:
            result = read_answer(answer)
        except Aiml3DError as exc:
            note(False, exc, answer)
            raise
        note(True, answer=answer)
        return result

    def post(
        self,
        path: str,
        body: dict,
        on_sent: Callable[[int, int], None] = lambda done, total: None,
        *,
        read: float | None = None,
        largest: int = API_ANSWER_LIMIT,
    ) -> dict:
        """POST JSON with the key, retrying as the policy says; returns the answer's JSON.
        ``read``: seconds the whole answer may take (default: the client's timeouts);
        ``largest``: bytes of answer read at most (a picture inline needs more)."""
        timeouts = replace(self._timeouts, read=read) if read else self._timeouts
        payload = json.dumps(body).encode("utf-8")
        headers = {
            "Authorization": f"Bearer {self._key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._gate.wait(self._cancel)  # another job was told to slow down: so are we
        self._cancel.check()
        started = time.monotonic()
        # The whole answer within the read timeout, retries included: a server that drips
        # a byte at a time never trips the socket's own timeout.
        with Watch(self._session, total=timeouts.read) as watch:
            try:
                response = self._session.post(
                    self.base_url + path,
                    data=_Upload(payload, on_sent, self._cancel),
                    headers=headers,
                    timeout=(timeouts.connect, timeouts.read),
                    allow_redirects=False,  # the key goes to the API host and nowhere else
                    stream=True,  # read below, with a cap
                )
                with response:
                    if response.status_code >= 300:  # only its message is wanted
                        raw = read_capped(response, ERROR_BODY_LIMIT, watch, truncate=True)
                    else:
                        raw = read_capped(response, largest, watch)
                if watch.expired:  # cut off mid-answer: what arrived is not the answer
                    raise requests.exceptions.ReadTimeout("the answer took too long")
            except TooLarge as exc:
                raise BadResponseError(
                    f"The AIML API's answer is larger than {largest // 1024:,} KiB "
                    f"({exc.size:,} bytes read); an answer is a few hundred bytes",
                    hint="Check the API base URL; if it is right, try again later.",
                    status=response.status_code,
                ) from None
            except requests.RequestException as exc:
                log.info(
                    "POST %s failed after %.2f s: %s",
                    path,
                    time.monotonic() - started,
                    type(exc).__name__,
                )
                self._cancel.check()
                if watch.expired:
                    raise _too_slow(timeouts) from None
                raise _network_error(exc, self.base_url, timeouts, self._key) from None
            except ValueError:  # requests reads a redirect's Location even when not following
                raise BadResponseError(
                    "The AIML API answered with a redirect to an address that is not valid",
                    hint="Check the API base URL in Settings.",
                ) from None
        self._cancel.check()
        log.info(
            "POST %s: HTTP %s, %d bytes in %.2f s",
            path,
            response.status_code,
            len(raw),
            time.monotonic() - started,
        )
        return _json_or_raise(response, raw, self._key)


def _too_slow(timeouts: Timeouts) -> NetworkError:
    return NetworkError(
        f"The AIML API did not answer within {timeouts.read:.0f} seconds",
        hint="Try again, or try a lower marching-cubes resolution.",
    )


def _network_error(
    exc: requests.RequestException, base_url: str, timeouts: Timeouts, key: str
) -> NetworkError:
    if isinstance(exc, requests.ReadTimeout) or isinstance(
        getattr(exc, "__context__", None), ReadTimeoutError
    ):
        return _too_slow(timeouts)
    if isinstance(exc, requests.ConnectTimeout):
        return NetworkError(
            f"Could not connect to {base_url} within {timeouts.connect:.0f} seconds",
            hint="Check your internet connection and the API base URL.",
        )
    cause = redact(root_cause(exc), key)
    if no_route(exc):
        return NetworkError(
            f"This computer has no network connection ({cause}): {base_url} cannot be reached",
            hint="Connect to a network, then try again. Nothing was sent; the Relief preview "
            "works offline.",
        )
    return NetworkError(
        f"Could not reach {base_url}: {cause}",
        hint="Check your internet connection and the API base URL, then try again.",
    )


def redact(text: str, key: str | None) -> str:
    """Server text with the key (and any bearer token) blanked out: some servers echo the
    request's headers in their errors, and what they say is shown and logged."""
    if key:
        text = text.replace(key, "[key]")
    return re.sub(r"(?i)(bearer)\s+[^\s\"',;]+", r"\1 [key]", text)


def _json_or_raise(response: requests.Response, raw: bytes, key: str | None) -> dict:
    try:
        return _answer(response, raw)
    except (ApiError, BadResponseError) as exc:
        # Whatever the server said (body, reason phrase, headers, escaped or not) is shown
        # and logged: blank the key out of all of it.
        exc.message, exc.details = redact(exc.message, key), redact(exc.details, key)
        exc.request_id = redact(exc.request_id, key) if exc.request_id else None
        raise


def _answer(response: requests.Response, raw: bytes) -> dict:
    text = raw.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        body = None
    request_id = _request_id(body, response)
    if response.status_code >= 400:
        raise ApiError(
            f"The AIML API refused the request (HTTP {response.status_code}): "
            f"{_server_message(body, response, text)}",
            hint=HINTS.get(
                response.status_code, HINTS[500 if response.status_code >= 500 else 400]
            ),
            request_id=request_id,
            status=response.status_code,
            details=text[:4000],
        )
    status = response.status_code
    if not 200 <= status < 300 or not isinstance(body, dict):
        what = "a redirect" if 300 <= status < 400 else "something that is not a JSON object"
        raise BadResponseError(
            f"The AIML API answered HTTP {status} with {what}",
            hint="Check the API base URL; if it is right, try again later.",
            request_id=request_id,
            status=response.status_code,
            details=text[:4000],
        )
    return body


def _request_id(body: object, response: requests.Response) -> str | None:
    if isinstance(body, dict):
        rid = body.get("requestId") or body.get("request_id")
        if isinstance(rid, str | int):
            return str(rid)
    return response.headers.get("x-request-id")


def _server_message(body: object, response: requests.Response, text: str) -> str:
    """The server's own words: AIML's ``message``, or the fal form ``detail``."""
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, list):
            message = "; ".join(str(m) for m in message)
        detail = body.get("detail")
        if isinstance(detail, list):
            parts = []
            for item in detail:
                if isinstance(item, dict):
                    where = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                    parts.append(
                        f"{where}: {item.get('msg', '')}" if where else str(item.get("msg"))
                    )
                else:
                    parts.append(str(item))
            detail = "; ".join(parts)
        for said in (message, detail, body.get("error")):
            if isinstance(said, dict):
                said = said.get("message")
            if isinstance(said, str) and said.strip():
                extra = body.get("details") or body.get("errors")  # "Body validation error!"
                if isinstance(extra, list) and extra:
                    said = f"{said.strip()} ({'; '.join(str(e) for e in extra)})"
                return " ".join(said.split())[:500]
    text = " ".join(text.split())[:200]
    return text or response.reason or "no message"


def _mentions_image(message: str) -> bool:
    lowered = message.lower()
    return "image" in lowered or "url" in lowered


def _picture_link(body: dict) -> PictureLink:
    """fal's ``images[0].url`` first, then OpenAI's ``data[0].url``: the docs show neither."""
    rid = body.get("requestId") or body.get("request_id")
    for key in ("images", "data"):
        items = body.get(key)
        if isinstance(items, list) and items and isinstance(items[0], dict):
            url = items[0].get("url")
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                return PictureLink(url, str(rid) if rid else None, answers.credits(body))
    raise BadResponseError(
        "The AIML API's answer holds no picture (neither images[0].url nor data[0].url)",
        hint="The service may have changed; try again later.",
        request_id=str(rid) if rid else None,
        details=json.dumps(body)[:4000],
    )


def _edited_picture(body: dict) -> PictureLink:
    """An editing model's ``data[0]``: its ``url``, or its ``b64_json`` as a data URL."""
    items = body.get("data")
    first = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
    inline = first.get("b64_json")
    if isinstance(inline, str) and inline and "url" not in first:
        rid = body.get("requestId") or body.get("request_id")
        url = "data:image/png;base64," + inline.strip()
        return PictureLink(url, str(rid) if rid else None, answers.credits(body))
    return _picture_link(body)


def drawing_body(prompt: str, model: str = TEXT_TO_IMAGE_MODEL) -> dict:
    """The body that asks a text-to-image model for one picture of ``prompt``."""
    return {"model": model, "prompt": prompt, "image_size": "square_hd", "num_images": 1}


def _values(body: dict) -> dict:
    """A body's parameter values: not the model, nor its pictures, mesh link or prompt (nor a
    chat's messages and answer format: the words asked, kept out of the ledger as a prompt)."""
    words = ("model", "prompt", "messages", "response_format", "image_urls", "seed")
    return {k: v for k, v in body.items() if k not in words and not k.endswith("_url")}


def _not_for_this_account(exc: ApiError, spec: Model) -> bool:
    """A refusal that speaks of the model (the service's words for a model an account
    lacks): not TripoSR, which every account has."""
    names_model = re.search(r"\bmodel\b(?![_ ](type|file|mesh|url)\b)", exc.message.lower())
    return spec.id != "triposr" and exc.status in (400, 403, 404) and bool(names_model)
