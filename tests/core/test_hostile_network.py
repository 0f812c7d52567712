"""Servers that misbehave on purpose, on 127.0.0.1: answers that drip, never end or are
huge; redirects to where no request may go; errors that quote the key back."""

from __future__ import annotations

import socket
import time

import pytest

from aiml3d_desktop.core.api.client import AimlClient, redact
from aiml3d_desktop.core.api.params import TriposrParams
from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.common.errors import (
    ApiError,
    BadResponseError,
    Cancelled,
    ConfigError,
    DownloadError,
    NetworkError,
)
from aiml3d_desktop.core.generation import jobs
from aiml3d_desktop.core.net import http as net
from aiml3d_desktop.core.net.policy import RetryPolicy, Timeouts, address_refusal, check_url
from aiml3d_desktop.core.pictures import images
from tests.conftest import cancel_when, files_in, wait_for

URL_IMAGE = images.prepare("https://example.com/chair.png")
FAST = RetryPolicy(attempts=2, backoff=0.01, jitter=0.0)


def client(fake, read=2.0, cancel=None):
    return AimlClient(
        fake.KEY, fake.base_url, retry=FAST, cancel=cancel, timeouts=Timeouts(connect=2, read=read)
    )


def test_a_dripping_answer_is_cut_off_at_the_timeout(fake_api):
    """One byte every half second never trips a socket timeout; the whole answer is bounded."""
    fake_api.queue("drip")
    started = time.monotonic()
    with pytest.raises(NetworkError, match="did not answer within 2 seconds"):
        client(fake_api).generate_3d(TriposrParams(), URL_IMAGE)
    assert time.monotonic() - started < 4
    assert len(fake_api.calls("api")) == 1  # not retried: a generation costs credits


def test_cancel_stays_prompt_while_an_answer_drips(fake_api):
    fake_api.queue("drip")
    token = CancelToken()
    when = cancel_when(lambda: fake_api.calls("api"), token)  # the answer is dripping
    with pytest.raises(Cancelled):
        client(fake_api, read=30, cancel=token).generate_3d(TriposrParams(), URL_IMAGE)
    assert time.monotonic() - when["at"] < 1


def test_a_huge_answer_is_refused_without_reading_it(fake_api):
    fake_api.queue("huge")
    with pytest.raises(BadResponseError, match="larger than 8,192 KiB"):
        client(fake_api).generate_3d(TriposrParams(), URL_IMAGE)
    wait_for(lambda: fake_api.sent, what="the server to notice the hang-up")
    assert max(fake_api.sent) < 20 * 2**20  # the cap, plus what socket buffers held


def test_a_huge_error_body_is_not_read_on_each_retry(fake_api):
    fake_api.queue("huge-500")
    with pytest.raises(ApiError, match="HTTP 500"):
        client(fake_api).generate_3d(TriposrParams(), URL_IMAGE)
    wait_for(lambda: len(fake_api.sent) == 3, what="three answers")  # the first try and two retries
    assert all(sent < 20 * 2**20 for sent in fake_api.sent), fake_api.sent


def test_the_key_is_blanked_out_of_what_a_server_says(fake_api):
    fake_api.queue("echo-key")
    with pytest.raises(ApiError) as info:
        client(fake_api).generate_3d(TriposrParams(), URL_IMAGE)
    shown = f"{info.value} {info.value.details}"
    assert fake_api.KEY not in shown
    assert "Bearer [key]" in shown and "(key [key])" in shown


def test_redact():
    assert (
        redact("key abc123 and Bearer xyz, bearer  q", "abc123")
        == "key [key] and Bearer [key], bearer [key]"
    )


def download(fake, variant, tmp_path, stall=30.0, local_ok=True):
    from aiml3d_desktop.core.api.answers import MeshLink
    from aiml3d_desktop.core.api.download import fetch

    link = MeshLink(f"{fake.cdn_url}/files/{variant}/x/model.glb", None, None, None, None, None)
    return fetch(
        link,
        tmp_path / "out" / "model.glb",
        "glb",
        retry=FAST,
        local_ok=local_ok,
        timeouts=Timeouts(connect=2, download_read=5, stall=stall),
        check=lambda path: None,
    )


def test_a_stalled_download_fails_and_says_so(fake_api, tmp_path):
    started = time.monotonic()
    with pytest.raises(DownloadError, match=r"stalled: less than 16 KiB arrived in 2 seconds"):
        download(fake_api, "drip-download", tmp_path, stall=2)
    assert time.monotonic() - started < 5
    assert files_in(tmp_path / "out") == []


def test_half_a_download_is_counted(fake_api, tmp_path):
    with pytest.raises(DownloadError) as info:
        download(fake_api, "truncated", tmp_path)
    half = len(fake_api.glb) // 2
    assert f"({half:,} of {len(fake_api.glb):,} bytes)" in str(info.value)


def test_a_redirect_on_the_same_host_is_followed(fake_api, tmp_path):
    size, _ = download(fake_api, "redirect-ok", tmp_path)
    assert size == len(fake_api.glb)


@pytest.mark.parametrize(
    "variant, words",
    [
        ("redirect-http", "uses plain http"),
        ("redirect-metadata", "link-local or cloud metadata address"),
        ("redirect-loop", "redirected more than 5 times"),
    ],
)
def test_redirects_are_checked_before_they_are_followed(fake_api, tmp_path, variant, words):
    started = time.monotonic()
    with pytest.raises((ConfigError, NetworkError), match=words):
        download(fake_api, variant, tmp_path)
    assert time.monotonic() - started < 1  # refused, not tried and timed out
    assert files_in(tmp_path / "out") == []


def test_a_drawn_pictures_link_is_checked_too(fake_api, job_options):
    fake_api.queue("picture-redirect-metadata")
    with pytest.raises(ConfigError, match="link-local or cloud metadata"):
        jobs.draw("a chair", job_options)
    assert [c.path for c in fake_api.calls("cdn")] == ["/images/redirect-metadata"]


@pytest.mark.parametrize(
    "url, local_ok, refused",
    [
        ("https://169.254.169.254/latest/meta-data", True, "metadata"),
        ("https://[fe80::1]/x", True, "metadata"),
        ("https://[::ffff:169.254.169.254]/x", True, "metadata"),
        ("https://metadata.google.internal/computeMetadata/v1/", True, "metadata"),
        ("https://100.100.100.200/latest", True, "metadata"),
        ("https://10.0.0.5/model.glb", False, "local network"),
        ("https://localhost/model.glb", False, "local network"),
        ("http://127.0.0.1:8080/model.glb", False, "local network"),
        ("https://10.0.0.5/model.glb", True, None),  # a link the user typed: their own NAS
        ("https://cdn.example.com/model.glb", False, None),
    ],
)
def test_address_policy(url, local_ok, refused):
    if refused is None:
        assert check_url(url, "link", local_ok) == url
    else:
        with pytest.raises(ConfigError, match=refused):
            check_url(url, "link", local_ok)


def test_a_name_that_resolves_somewhere_forbidden_is_refused_on_connecting(monkeypatch):
    """DNS can point an innocent name anywhere: the address is checked once connected,
    before TLS or a request."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        return real("127.0.0.1" if host == "cdn.example.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    session = net.make_session(FAST, CancelToken(), retry_post=False, local_ok=False)
    try:
        with pytest.raises(ConfigError, match="cdn.example.test was refused: it points into"):
            net.get(
                session,
                f"https://cdn.example.test:{port}/m.glb",
                "mesh address",
                timeout=(2, 2),
                local_ok=False,
            )
        listener.settimeout(0.5)
        conn, _ = listener.accept()  # the TCP connection was made...
        conn.settimeout(0.5)
        assert conn.recv(1024) == b""  # ...and closed before a byte was sent
        conn.close()
    finally:
        session.close()
        listener.close()


def test_links_from_a_public_api_may_not_lead_home():
    client = AimlClient("k", "https://api.aimlapi.com")
    assert client.local_links_ok is False
    assert address_refusal("192.168.1.10", local_ok=client.local_links_ok)


def test_a_job_refuses_a_mesh_link_into_the_local_network(
    fake_api, job_options, photo, tmp_path, monkeypatch
):
    """As if the API were public: the CDN link on 127.0.0.1 is then refused, unrequested."""
    monkeypatch.setattr("aiml3d_desktop.core.api.client.is_loopback", lambda host: False)
    with pytest.raises(ConfigError, match="into this machine"):
        jobs.generate(str(photo), TriposrParams(), tmp_path / "out", job_options)
    assert fake_api.calls("cdn") == []
    assert files_in(tmp_path / "out") == []


def test_a_download_whose_headers_drip_is_given_up(fake_api, tmp_path):
    started = time.monotonic()
    with pytest.raises(DownloadError, match="stalled"):
        download(fake_api, "drip-headers", tmp_path, stall=2)
    assert time.monotonic() - started < 5


def test_the_deadline_holds_across_a_retry(fake_api):
    """A 503 asking for 8 s, then an answer that drips: --timeout 2 is still 2 s."""
    fake_api.queue("503-after-8", "drip")
    started = time.monotonic()
    with pytest.raises(NetworkError, match="did not answer within 2 seconds"):
        client(fake_api).generate_3d(TriposrParams(), URL_IMAGE)
    assert time.monotonic() - started < 3


def test_a_retry_after_that_makes_no_sense_falls_back_to_backoff(fake_api):
    fake_api.queue("bad-retry-after", "bad-retry-after", "bad-retry-after")
    with pytest.raises(ApiError, match="HTTP 503"):
        client(fake_api).generate_3d(TriposrParams(), URL_IMAGE)
    assert len(fake_api.calls("api")) == 3  # retried as usual


@pytest.mark.parametrize("fault", ["key-in-reason", "key-in-request-id", "key-escaped"])
def test_the_key_is_blanked_out_wherever_a_server_puts_it(fake_api, fault):
    fake_api.queue(fault)
    with pytest.raises(ApiError) as info:
        AimlClient(
            fake_api.KEY,
            fake_api.base_url,
            retry=RetryPolicy(attempts=0),
            timeouts=Timeouts(connect=2, read=2),
        ).generate_3d(TriposrParams(), URL_IMAGE)
    error = info.value
    shown = f"{error} {error.details} {error.request_id}"
    assert fake_api.KEY not in shown and "[key]" in shown


@pytest.mark.parametrize("key", ["ключ-123", "abc\r\nX-Evil: 1", "two words"])
def test_a_key_that_cannot_be_a_key_is_refused_before_sending(fake_api, key):
    with pytest.raises(ConfigError, match="characters an API key never has"):
        AimlClient(key, fake_api.base_url)
    assert fake_api.calls("api") == []


@pytest.mark.parametrize(
    "fault, error, words",
    [
        ("bad-mesh-url", ConfigError, "is not a valid address"),
        ("redirect-bad", BadResponseError, "redirect to an address that is not valid"),
    ],
)
def test_addresses_a_server_sends_that_are_not_addresses(
    fake_api, job_options, photo, tmp_path, fault, error, words
):
    fake_api.queue(fault)
    with pytest.raises(error, match=words):
        jobs.generate(str(photo), TriposrParams(), tmp_path / "out", job_options)
    assert files_in(tmp_path / "out") == []


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://[::1", "is not a valid address"),
        ("http://127.0.0.1:99999/x.png", "is not a valid address"),
    ],
)
def test_links_a_person_gives_that_are_not_addresses(url, words):
    with pytest.raises(ConfigError, match=words):
        images.prepare(url)


def test_an_unusable_output_folder_is_found_before_paying(fake_api, job_options, photo, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(Exception, match="Cannot write to .*Nothing was sent"):
        jobs.generate(str(photo), TriposrParams(), blocker / "sub", job_options)
    assert fake_api.calls("api") == []


# ---- waits a person is told of (issue 26, item 5) -----------------------------------------


def test_each_wait_before_a_retry_is_told_with_its_reason(fake_api, job_options, photo, tmp_path):
    from dataclasses import replace

    from aiml3d_desktop.core.common.stages import RetryNote, describe

    fake_api.queue("503", "429")
    heard = []
    jobs.generate(str(photo), TriposrParams(), tmp_path, replace(job_options, retry=FAST),
                  progress=lambda stage, done, total: heard.append(stage))  # fmt: skip
    notes = [s for s in heard if isinstance(s, RetryNote)]
    assert [(n.reason, n.host, n.attempt, n.attempts) for n in notes] == [
        ("Server error 503 at", "127.0.0.1", 1, 2),
        ("Too many requests, said", "127.0.0.1", 2, 2),
    ]
    note = RetryNote("api.aimlapi.com", "No answer from", 4.2, 2, 4)
    assert describe(note, 0.1, None, None) == (
        "No answer from api.aimlapi.com, trying again in 4 s (2 of 4)"
    )
    assert describe(note, 3.0, None, None, short=True) == "Retrying in 1 s (2/4)"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_cancel_cuts_a_wait_for_the_network_short(photo, tmp_path):
    """Nobody answers: the first retry is told, and Cancel then ends the job at once,
    however long the wait would have been."""
    from aiml3d_desktop.core.common.stages import RetryNote

    options = jobs.JobOptions(
        api_key="test-key-0123456789abcdef",
        base_url=f"http://127.0.0.1:{closed_port()}",
        retry=RetryPolicy(attempts=4, backoff=30.0, jitter=0.0),
    )
    token = CancelToken()
    told = {}

    def progress(stage, done, total):
        if isinstance(stage, RetryNote):
            told["note"], told["at"] = stage, time.monotonic()
            token.cancel()

    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(Cancelled):
        jobs.generate(str(photo), TriposrParams(), out, options, progress=progress, cancel=token)
    assert told["note"].reason == "Connection refused by" and told["note"].wait >= 30
    assert time.monotonic() - told["at"] < 1
    assert files_in(out) == []


NO_NETWORK = """
import sys, time
from aiml3d_desktop import cli
started = time.monotonic()
code = cli.main(sys.argv[1:])
print(f"{time.monotonic() - started:.2f}", flush=True)
sys.exit(code)
"""


def test_no_network_at_all_fails_at_once(photo, tmp_path):
    """A machine with no route anywhere (here: a network namespace of its own, with not
    even a loopback up): no retry can help, so the answer is immediate and says so."""
    import os
    import shutil
    import subprocess
    import sys

    if sys.platform != "linux" or shutil.which("unshare") is None:
        pytest.skip("a network namespace of its own needs Linux's unshare")
    command = ["unshare", "-n", sys.executable, "-c", NO_NETWORK, "generate", str(photo),
               "--api-base", "http://127.0.0.1:9", "--retries", "4"]  # fmt: skip
    if os.geteuid() != 0:
        command = ["sudo", "-n", "-E", *command]
    env = {**os.environ, "AIMLAPI_KEY": "test-key-0123456789abcdef",
           "AIML3D_LIBRARY": str(tmp_path / "lib")}  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    if "unshare failed" in done.stderr or "Operation not permitted" in done.stderr:
        if os.environ.get("CI"):
            pytest.fail(done.stderr)
        pytest.skip(done.stderr.strip())
    assert done.returncode == 1, done.stderr
    assert float(done.stdout.split()[-1]) < 5
    assert "This computer has no network connection" in done.stderr
    assert "trying again" not in done.stderr and "Traceback" not in done.stderr
