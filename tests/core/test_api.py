"""The API client against a real HTTP server that speaks the documented AIML API."""

from __future__ import annotations

import time

import pytest

from aiml3d_desktop.core.api.client import AimlClient
from aiml3d_desktop.core.api.params import TriposrParams
from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.common.errors import (
    ApiError,
    BadResponseError,
    Cancelled,
    ConfigError,
    NetworkError,
)
from aiml3d_desktop.core.net.policy import RetryPolicy, Timeouts
from aiml3d_desktop.core.pictures import images
from tests.conftest import cancel_when

FAST = RetryPolicy(attempts=2, backoff=0.01, jitter=0.01)
URL_IMAGE = images.prepare("https://example.com/chair.png")


def client(fake, key=None, retry=FAST, read=2.0, cancel=None):
    return AimlClient(
        key or fake.KEY,
        fake.base_url,
        retry=retry,
        timeouts=Timeouts(connect=2, read=read),
        cancel=cancel,
    )


def test_generate_sends_documented_body_and_reads_model_mesh(fake_api, photo):
    image = images.prepare(str(photo))
    params = TriposrParams(
        output_format="obj", do_remove_background=False, foreground_ratio=0.75, mc_resolution=128
    )
    link = client(fake_api).generate_3d(params, image)
    (call,) = fake_api.calls("api")
    assert call.path == "/v1/images/generations"
    assert call.headers["Authorization"] == f"Bearer {fake_api.KEY}"
    assert call.headers["Content-Type"] == "application/json"
    assert call.body == {
        "model": "triposr",
        "image_url": image.image_url,
        "output_format": "obj",
        "do_remove_background": False,
        "foreground_ratio": 0.75,
        "mc_resolution": 128,
    }
    assert call.body["image_url"].startswith("data:image/png;base64,")
    assert link.url.startswith(fake_api.cdn_url) and link.url.endswith(".obj")
    assert link.file_size == len(fake_api.obj)
    assert link.credits_used == 182000
    assert link.timings["generation"] == 0.02
    assert link.request_id and len(link.request_id) == 32


def test_upload_progress_reaches_the_whole_body(fake_api, photo):
    seen = []
    client(fake_api).generate_3d(
        TriposrParams(), images.prepare(str(photo)), lambda done, total: seen.append((done, total))
    )
    sent = int(fake_api.calls("api")[0].headers["Content-Length"])
    assert seen[-1] == (sent, sent)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.parametrize("fault", ["generic", "b64"])
def test_generic_response_shape_is_accepted(fake_api, fault):
    fake_api.queue(fault)
    link = client(fake_api).generate_3d(TriposrParams(), URL_IMAGE)
    if fault == "generic":
        assert link.url.startswith(fake_api.cdn_url)
    else:
        assert link.inline == fake_api.glb


@pytest.mark.parametrize(
    "fault, status, words",
    [
        ("403", 403, ["out of credits", "top it up"]),
        ("404", 404, ["Not found", "base URL"]),
        ("422", 422, ["image_url: Could not download the image"]),
    ],
)
def test_client_errors_are_not_retried_and_say_what_to_do(fake_api, fault, status, words):
    fake_api.queue(fault)
    with pytest.raises(ApiError) as info:
        client(fake_api).generate_3d(TriposrParams(), URL_IMAGE)
    assert info.value.status == status
    text = str(info.value)
    assert "\n" not in text
    for word in words:
        assert word in text
    assert len(fake_api.calls("api")) == 1  # never retried


def test_wrong_key_gives_401_with_server_message_and_request_id(fake_api):
    with pytest.raises(ApiError) as info:
        client(fake_api, key="wrong").generate_3d(TriposrParams(), URL_IMAGE)
    text = str(info.value)
    assert info.value.status == 401
    assert "the API key is invalid" in text and "Set a valid API key" in text
    assert info.value.request_id and info.value.request_id in text
    assert "wrong" not in text  # the key itself is never echoed
    assert len(fake_api.calls("api")) == 1


def test_body_validation_error_quotes_the_details(fake_api):
    with pytest.raises(ApiError) as info:
        client(fake_api).post("/v1/images/generations", {"model": "triposr", "mc_resolution": 7})
    assert info.value.status == 400
    assert "Body validation error!" in str(info.value)
    assert "image_url must be a URL" in str(info.value)
    assert "mc_resolution must be an integer" in str(info.value)


@pytest.mark.parametrize(
    "fault, hint",
    [
        ("429", "wait a minute"),
        ("500", "try again later"),
        ("500-maintenance", "under maintenance"),
        ("502", "try again in a few minutes"),
        ("503", "unavailable"),
        ("504", "lower marching-cubes resolution"),
    ],
)
def test_server_errors_are_retried_then_reported(fake_api, fault, hint):
    fake_api.queue(fault, fault, fault)
    with pytest.raises(ApiError) as info:
        client(fake_api).generate_3d(TriposrParams(), URL_IMAGE)
    assert len(fake_api.calls("api")) == 3  # the first try and two retries
    assert hint in str(info.value)
    assert info.value.request_id


def test_retry_then_success(fake_api):
    fake_api.queue("503", "429")
    link = client(fake_api).generate_3d(TriposrParams(), URL_IMAGE)
    assert link.url and len(fake_api.calls("api")) == 3


def test_retry_after_is_honoured(fake_api):
    fake_api.queue("429-wait")
    start = time.monotonic()
    client(fake_api).generate_3d(TriposrParams(), URL_IMAGE)
    assert time.monotonic() - start >= 1.0  # the server asked for one second
    assert len(fake_api.calls("api")) == 2


def test_dropped_connection_is_retried(fake_api):
    fake_api.queue("drop")
    assert client(fake_api).generate_3d(TriposrParams(), URL_IMAGE).url
    assert len(fake_api.calls("api")) == 2


def test_dropped_connection_every_time_is_a_network_error(fake_api):
    fake_api.queue("drop", "drop", "drop")
    with pytest.raises(NetworkError, match="Could not reach"):
        client(fake_api).generate_3d(TriposrParams(), URL_IMAGE)


def test_slow_answer_times_out_without_retrying(fake_api):
    fake_api.queue("slow")
    start = time.monotonic()
    with pytest.raises(NetworkError, match="did not answer within 1 seconds"):
        client(fake_api, read=1.0).generate_3d(TriposrParams(), URL_IMAGE)
    assert time.monotonic() - start < 3
    assert len(fake_api.calls("api")) == 1  # a timed-out generation is not paid for twice


def test_unreachable_server_is_a_network_error():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = AimlClient("k", f"http://127.0.0.1:{port}", retry=FAST)
    with pytest.raises(NetworkError, match="Check your internet connection"):
        api.generate_3d(TriposrParams(), URL_IMAGE)


@pytest.mark.parametrize("fault", ["not-json", "bad-shape"])
def test_a_server_that_lies_gives_a_clear_error(fake_api, fault):
    fake_api.queue(fault)
    with pytest.raises(BadResponseError) as info:
        client(fake_api).generate_3d(TriposrParams(), URL_IMAGE)
    if fault == "bad-shape":
        assert "holds no mesh" in str(info.value)
        assert info.value.request_id in str(info.value)
    else:
        assert "not a JSON object" in str(info.value)


def test_refused_data_uri_suggests_a_url(fake_api, photo):
    fake_api.queue("400-datauri")
    with pytest.raises(ApiError) as info:
        client(fake_api).generate_3d(TriposrParams(), images.prepare(str(photo)))
    assert "image_url must be a valid http(s) URL" in str(info.value)
    assert "give that address instead" in str(info.value)


def test_cancel_interrupts_a_request_in_flight(fake_api):
    fake_api.queue("slow")
    token = CancelToken()
    when = cancel_when(lambda: fake_api.calls("api"), token)  # the server has the request
    with pytest.raises(Cancelled):
        client(fake_api, read=30, cancel=token).generate_3d(TriposrParams(), URL_IMAGE)
    assert time.monotonic() - when["at"] < 1


def test_cancel_interrupts_a_retry_wait(fake_api):
    fake_api.queue("429-wait", "429-wait")
    token = CancelToken()
    when = cancel_when(lambda: fake_api.calls("api"), token)  # answered: now it waits 1 s
    with pytest.raises(Cancelled):
        client(fake_api, cancel=token).generate_3d(TriposrParams(), URL_IMAGE)
    assert time.monotonic() - when["at"] < 0.5
    assert len(fake_api.calls("api")) == 1  # the retry was never sent


def test_invalid_params_never_reach_the_server(fake_api):
    from aiml3d_desktop.core.common.errors import InputError

    with pytest.raises(InputError):
        client(fake_api).generate_3d(TriposrParams(mc_resolution=2000), URL_IMAGE)
    assert fake_api.calls("api") == []


@pytest.mark.parametrize(
    "base, ok",
    [
        ("https://api.aimlapi.com", True),
        ("http://127.0.0.1:9", True),
        ("http://localhost:9", True),
        ("http://[::1]:9", True),
        ("http://api.aimlapi.com", False),
        ("http://10.0.0.5", False),
        ("ftp://api.aimlapi.com", False),
    ],
)
def test_plain_http_only_to_loopback(base, ok):
    if ok:
        assert AimlClient("k", base).base_url == base
    else:
        with pytest.raises(ConfigError):
            AimlClient("k", base)


def test_missing_key_is_a_config_error_before_any_request(fake_api):
    with pytest.raises(ConfigError, match="No AIML API key"):
        AimlClient("", fake_api.base_url)
    assert "AimlClient" in repr(client(fake_api)) and fake_api.KEY not in repr(client(fake_api))
