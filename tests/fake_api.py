"""A fake AIML API: a real HTTP server on 127.0.0.1 that behaves as the public docs describe.

Two servers: the API (bearer key, body validation, the documented error bodies) and a "CDN"
on another port that serves the generated mesh, as the real service does. Faults are queued
by name with ``queue()``; each generation request takes the next one ("ok" when empty).

Generation faults: 401 (any wrong key), 403, 404, 429, 429-wait (Retry-After: 1), 500,
500-maintenance, 502, 503, 504, 422 (fal form), 400-datauri (refuses data: URIs), slow,
drop (connection closed without an answer), not-json, bad-shape, generic ({"data": [...]}),
b64 (generic shape with b64_json).
Text to image (any model other than triposr, e.g. flux/schnell, with a prompt): answers in
fal's form {"images": [{"url"}]}, or OpenAI's {"data": [{"url"}]} with the fault "generic";
the picture is served by the CDN. The error faults above, and bad-shape, apply to it too.
Download faults (generation succeeds, the mesh link misbehaves): truncated, hostile-name,
wrong-type, not-mesh, oversize, oversize-chunked, slow-download, cdn-404.
Hostile servers: drip (the answer one byte every half second), huge (a 100 MB JSON answer),
huge-500 (a 100 MB error body, retried), echo-key (a 401 that quotes the request's
Authorization header); on the CDN, drip-download (a byte a second), redirect-ok,
redirect-http (to plain http on another machine), redirect-metadata (to the cloud metadata
address, over https), redirect-loop, drip-headers (the status line, then a header byte a
second); picture-redirect-metadata makes text to image answer with a picture link that
redirects there; bad-mesh-url (a mesh link that is not a valid address), redirect-bad (a
307 whose Location is not one), 503-after-8 (Retry-After: 8), bad-retry-after (a date in
the year 99999); key-in-reason, key-in-request-id, key-escaped (the key quoted back in the
status line, a header, or JSON with escaped letters). ``sent`` counts the bytes each huge answer got
out.

The other 3D models (magic/image-to-3d, meshy-6 and its alias, tencent/hunyuan-part) are
checked against their documented schemas (a wrong type, range or unknown field gets the
API's 400 "Body validation error!") and answered in their documented shapes, after
``model_seconds[model]`` (a slow answer for the long-running model; the fault "slow" adds
``slow_seconds`` to one answer). TripoSR and the picture models wait their
``model_seconds`` too (realistic delays for timing a whole scene). ``unavailable`` holds
models the account "cannot use" (a 404 naming the model). Their files are on the CDN by
extension (GLB, FBX, USDZ, STL, Blender, PNG; part meshes of three coloured boxes).
meshy-hostile lists a web page as its FBX, an oversized USDZ, an STL named ../../../evil.stl
and a file:// link; meshy-flood an FBX link that redirects to the cloud metadata address
and 40 sets of textures. The shared error faults apply to every model.

What each answer says the call cost (``meta.usage``) is its model's usual figure, unless
``usage[model]`` says otherwise: another figure (``{"usd_spent": 1.04}``), None for an
answer that reports no cost at all, or a list of those, one per answer (the last then stays).

The image-editing models (google/nano-banana-edit and the others of EDIT_MODELS) check their
documented body and draw ``drawn[side]`` (the side named in the prompt; else the photo),
answered as a CDN link under /drawn/, or inline base64 with the fault "b64"; the fault
"not-a-picture" serves a web page there instead.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import trimesh

ENDPOINT = "/v1/images/generations"
CHAT = "/v1/chat/completions"
# The plan the chat model gives when no other is scripted (issue 30): a desk, a lamp on it.
DEFAULT_PLAN = {
    "room": {"width": 3, "depth": 3},
    "mood": "studio",
    "objects": [
        {"name": "desk", "description": "a wooden desk on a white background", "width": 1.2,
         "depth": 0.6, "height": 0.75, "count": 1, "x": 0, "z": 0, "yaw": 0},
        {"name": "lamp", "description": "a brass desk lamp on a white background",
         "width": 0.2, "depth": 0.2, "height": 0.45, "count": 1, "x": 0.4, "z": 0, "yaw": 0},
    ],
    "relations": [{"kind": "on_top_of", "subject": "lamp", "target": "desk"}],
}  # fmt: skip
EDIT_MODELS = ("google/nano-banana-edit", "alibaba/qwen-image-3-edit", "bytedance/seedream-4-5")
EDIT_KEYS = {
    "model",
    "prompt",
    "image_urls",
    "aspect_ratio",
    "num_images",
    "seed",
    "enhance_prompt",
}
DEFAULT_VERDICT = {
    "match": 0.72, "missing": ["the carved legs"], "wrong": ["the seat is too thick"],
    "notes": "The outline matches; the back is simpler than a real chair's.",
}  # fmt: skip
BODY_KEYS = {
    "model",
    "image_url",
    "output_format",
    "do_remove_background",
    "foreground_ratio",
    "mc_resolution",
}
ERRORS = {
    401: "Unauthorized: the API key is invalid",
    403: "You have run out of credits",
    404: "Not found",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Generation timeout",
}


def make_mesh(subdivisions: int = 3) -> trimesh.Trimesh:
    """A vertex-coloured sphere: TripoSR's kind of output (no UVs, colour per vertex)."""
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions)
    v = sphere.vertices
    colours = np.column_stack([(v + 1) / 2 * 255, np.full(len(v), 255)]).astype(np.uint8)
    sphere.visual = trimesh.visual.ColorVisuals(sphere, vertex_colors=colours)
    return sphere


def _photo_png() -> bytes:
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((60, 20, 240, 180), fill=(40, 120, 220, 255))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


@dataclass
class Record:
    server: str
    method: str
    path: str
    headers: dict
    body: object
    at: float = field(default_factory=time.monotonic)  # when it arrived


class FakeAimlApi:
    KEY = "test-key-0123456789abcdef"

    def __init__(self, mesh_subdivisions: int = 3) -> None:
        mesh = make_mesh(mesh_subdivisions)
        self.mesh = mesh
        self.glb: bytes = mesh.export(file_type="glb")
        self.obj: bytes = mesh.export(file_type="obj").encode()
        self.photo: bytes = _photo_png()
        self.oversize_bytes = 3 * 2**20
        self.slow_seconds = 5.0
        self.faults: deque[str] = deque()
        self.unavailable: set[str] = set()  # models the account "cannot use" (a 404)
        self.model_seconds: dict[str, float] = {}  # how long each model takes to answer
        self.usage: dict[str, dict | list | None] = {}  # model -> its answers' meta.usage
        # The chat model's answers, in turn: a plan (a dict), a text as it is, or one of
        # "refusal", "no-choices"; DEFAULT_PLAN when none is left (DEFAULT_VERDICT when a
        # likeness verdict is asked for).
        self.plans: deque[dict | str] = deque()
        self.chat_seconds = 0.0  # how long the chat model takes to answer
        # What an editing model draws for a side ("left", "back", "right"): PNG bytes.
        self.drawn: dict[str, bytes] = {}
        self.drawn_files: dict[str, bytes] = {}
        self.parts_glb: bytes = make_parts().export(file_type="glb")
        self.records: list[Record] = []
        self.sent: list[int] = []  # bytes of each huge answer written before the client left
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self.api = _start(self, "api")
        self.cdn = _start(self, "cdn")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api.server_address[1]}"

    @property
    def cdn_url(self) -> str:
        return f"http://127.0.0.1:{self.cdn.server_address[1]}"

    def queue(self, *faults: str) -> None:
        self.faults.extend(faults)

    def calls(self, server: str) -> list[Record]:
        with self._lock:
            return [r for r in self.records if r.server == server]

    def record(self, rec: Record) -> None:
        with self._lock:
            self.records.append(rec)

    def meta(self, model: str, usual: dict, **more) -> dict:
        """An answer's ``meta``: the cost ``usage`` gives ``model`` (else ``usual``)."""
        with self._lock:
            said = self.usage.get(model, usual)
            if isinstance(said, list):  # one per answer, the last for every answer after
                said = said.pop(0) if len(said) > 1 else said[0]
        return {**({"usage": said} if said is not None else {}), **more}

    def next_fault(self) -> str:
        try:
            return self.faults.popleft()
        except IndexError:
            return "ok"

    def close(self) -> None:
        self.closing.set()
        for server in (self.api, self.cdn):
            server.shutdown()
            server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up (cancel, size cap, timeout) is what several tests do


def _start(fake: FakeAimlApi, name: str) -> ThreadingHTTPServer:
    server = _Server(("127.0.0.1", 0), _ApiHandler if name == "api" else _CdnHandler)
    server.fake = fake  # type: ignore[attr-defined]
    threading.Thread(
        target=server.serve_forever, args=(0.05,), name=f"fake-{name}", daemon=True
    ).start()
    return server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_name = "api"

    def log_message(self, format, *args):  # keep test output clean
        pass

    @property
    def fake(self) -> FakeAimlApi:
        return self.server.fake  # type: ignore[attr-defined]

    def _record(self, body: object) -> None:
        self.fake.record(
            Record(self.server_name, self.command, self.path, dict(self.headers.items()), body)
        )

    def send_bytes(self, status: int, data: bytes, ctype: str, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status: int, obj: object, headers: dict | None = None):
        self.send_bytes(status, json.dumps(obj).encode(), "application/json", headers)

    def drop(self) -> None:
        self.close_connection = True

    def _trickle(self, data: bytes, chunk: int, pause: float) -> None:
        try:
            for start in range(0, len(data), chunk):
                if self.fake.closing.is_set():
                    break
                self.wfile.write(data[start : start + chunk])
                self.wfile.flush()
                if pause:
                    self.fake.closing.wait(pause)
        except OSError:  # the client hung up, as a cancelling or capping client does
            pass
        self.close_connection = True


class _ApiHandler(_Handler):
    def do_GET(self):
        self._record(None)
        self.error(404, "Cannot GET " + self.path)

    def error(self, status: int, message: str, headers: dict | None = None, **extra):
        self.send_json(
            status,
            {
                "message": message,
                "path": self.path,
                "requestId": self.rid,
                "statusCode": status,
                "timestamp": datetime.now(timezone.utc).isoformat(),
                **extra,
            },
            headers,
        )

    def do_POST(self):
        self.rid = uuid.uuid4().hex
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self._record(body)
        fake = self.fake
        if self.path not in (ENDPOINT, CHAT):
            return self.error(404, f"Cannot POST {self.path}")
        if self.headers.get("Authorization") != f"Bearer {fake.KEY}":
            return self.error(401, ERRORS[401])
        fault = fake.next_fault()
        status = fault.split("-")[0]
        if status.isdigit() and int(status) in ERRORS and fault != "500-maintenance":
            retry = {"Retry-After": "1" if fault == "429-wait" else "0"}
            return self.error(
                int(status), ERRORS[int(status)], retry if int(status) in (429, 503) else None
            )
        if fault == "500-maintenance":
            return self.error(500, "Model is under maintenance")
        if self.path == CHAT:
            return self.chat(body)
        if fault == "echo-key":
            auth = self.headers.get("Authorization", "")
            return self.error(
                401,
                f"Invalid credentials in header 'Authorization: {auth}' (key {auth.split()[-1]})",
            )
        auth_key = self.headers.get("Authorization", "").split()[-1]
        if fault == "key-in-reason":
            self.send_response(500, f"Server saw Bearer-{auth_key}")
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if fault == "key-in-request-id":
            return self.error(
                500, "Internal server error", {"x-request-id": auth_key}, requestId=None
            )
        if fault == "key-escaped":
            escaped = "".join(f"\\u{ord(c):04x}" for c in auth_key)
            body = ('{"message": "bad key ' + escaped + '", "statusCode": 401}').encode()
            return self.send_bytes(401, body, "application/json")
        if fault == "redirect-bad":
            return self.send_bytes(307, b"", "text/plain", {"Location": "http://[::1"})
        if fault in ("503-after-8", "bad-retry-after"):
            after = "8" if fault == "503-after-8" else "Mon, 01 Jan 99999 00:00:00 GMT"
            return self.error(503, ERRORS[503], {"Retry-After": after})
        if fault in ("huge", "huge-500"):
            fake.faults.appendleft(fault)  # every retry gets the same
            return self.huge(200 if fault == "huge" else 500)
        model = body.get("model") if isinstance(body, dict) else None
        if model in fake.unavailable:
            return self.error(404, f"Model {model} is not available for your account")
        if model in OTHER_MODELS:
            return self.other_model(body, fault)
        if model not in OTHER_MODELS:  # a picture model, or TripoSR: as long as it takes
            fake.closing.wait(fake.model_seconds.get(model or "triposr", 0.0))
        if isinstance(body, dict) and model in EDIT_MODELS:
            return self.edit_image(body, fault)
        if isinstance(body, dict) and model not in (None, "triposr"):
            return self.text_to_image(body, fault)
        problems = _validate(body)
        if problems:
            return self.error(400, "Body validation error!", details=problems)
        if fault == "400-datauri" and body["image_url"].startswith("data:"):
            return self.error(400, "image_url must be a valid http(s) URL")
        if fault == "422":
            return self.send_json(
                422,
                {
                    "detail": [
                        {
                            "loc": ["body", "image_url"],
                            "msg": "Could not download the image",
                            "type": "value_error",
                        }
                    ]
                },
            )
        if fault == "drop":
            return self.drop()
        if fault == "drip":
            answer = json.dumps(
                {
                    "model_mesh": {"url": f"{fake.cdn_url}/files/ok/x/model.glb"},
                    "requestId": self.rid,
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            return self._trickle(answer, 1, 0.5)
        if fault == "slow":
            fake.closing.wait(fake.slow_seconds)
        if fault == "not-json":
            return self.send_bytes(200, b"<html><body>Gateway</body></html>", "text/html")
        if fault == "bad-shape":
            return self.send_json(200, {"requestId": self.rid, "status": "done"})
        fmt = body.get("output_format", "glb")
        data = fake.glb if fmt == "glb" else fake.obj
        variant = fault if fault not in ("ok", "slow", "generic", "b64") else "ok"
        url = f"{fake.cdn_url}/files/{variant}/{uuid.uuid4().hex[:8]}/model.{fmt}"
        if fault == "bad-mesh-url":
            url = "http://[::1/model.glb"
        if fault == "generic":
            return self.send_json(200, {"data": [{"url": url}], "requestId": self.rid})
        if fault == "b64":
            return self.send_json(200, {"data": [{"b64_json": base64.b64encode(data).decode()}]})
        self.send_json(
            200,
            {
                "model_mesh": {
                    "url": url,
                    "content_type": "application/octet-stream",
                    "file_name": "../../evil.glb" if fault == "hostile-name" else f"model.{fmt}",
                    "file_size": len(data),
                },
                "timings": {"prepare": 0.01, "generation": 0.02, "export": 0.01},
                "remeshing_dir": None,
                "requestId": self.rid,
                "meta": fake.meta("triposr", {"credits_used": 182000}),
            },
        )

    def other_model(self, body: dict, fault: str) -> None:
        """magic/image-to-3d, meshy-6 and hunyuan-part: checked against their documented
        schemas, answered in their documented shapes after ``model_seconds``."""
        fake, model = self.fake, body["model"]
        problems = _validate_other(body)
        if problems:
            return self.error(400, "Body validation error!", details=problems)
        if fault == "bad-shape":
            return self.send_json(200, {"requestId": self.rid, "status": "done"})
        fake.closing.wait(fake.model_seconds.get(model, 0.0))
        if fault == "slow":
            fake.closing.wait(fake.slow_seconds)
        files = f"{fake.cdn_url}/files/{fault if fault.startswith('cdn-') else 'ok'}"

        def link(name: str, size: int | None = None) -> dict:
            url = f"{files}/{uuid.uuid4().hex[:8]}/{name}"
            return {
                "url": url,
                "content_type": "application/octet-stream",
                "file_name": name,
                "file_size": size,
            }

        if model == "magic/image-to-3d":
            return self.send_json(
                200,
                {
                    "model_mesh": link("model.glb", len(fake.glb)),
                    "requestId": self.rid,
                    "meta": fake.meta(model, {"credits_used": 210000}),
                    "future_field": {"kept": True},
                },
            )
        if model == "tencent/hunyuan-part":
            masks = {f"mask_{n}_mesh": link(f"mask_{n}.glb") for n in (1, 2, 3)}
            return self.send_json(
                200,
                {
                    "segmented_mesh": link("segmented.glb", len(fake.parts_glb)),
                    **masks,
                    "best_mask_index": 2,
                    "iou_scores": [0.71, 0.93, 0.55],
                    "seed": body.get("seed", 42),
                    "requestId": self.rid,
                    "meta": fake.meta(model, {"credits_used": 50000}),
                },
            )
        names = {
            "fbx": "model.fbx",
            "obj": "model.obj",
            "usdz": "model.usdz",
            "stl": "model.stl",
            "blend": "model.blend",
        }
        urls = {k: link(v) for k, v in names.items()}
        if fault == "meshy-hostile":
            urls["fbx"] = {**link("page.fbx"), "url": f"{fake.cdn_url}/files/wrong-type/x/m.fbx"}
            urls["usdz"] = {**link("big.usdz"), "url": f"{fake.cdn_url}/files/oversize/x/b.usdz"}
            urls["stl"] = {**link("model.stl"), "file_name": "../../../evil.stl"}
            urls["blend"] = "file:///etc/passwd"
        texture = {m: link(f"{m}.png") for m in ("base_color", "metallic", "roughness", "normal")}
        textures = [texture]
        if fault == "meshy-flood":  # a link into the metadata service, and 40 texture sets
            urls["fbx"] = f"{fake.cdn_url}/files/redirect-metadata/x/m.fbx"
            textures = [texture] * 40
        self.send_json(
            200,
            {
                "model_glb": link("model.glb", len(fake.glb)),
                "model_urls": {"glb": link("model.glb"), **urls},
                "texture_urls": textures,
                "thumbnail": link("preview.png"),
                "seed": 1234,
                "requestId": self.rid,
                "meta": fake.meta(model, {"usd_spent": 0.4}, metrics={"duration_ms": 61000}),
            },
        )

    def chat(self, body: object) -> None:
        """``/v1/chat/completions`` as documented: messages in, choices[0].message out; a
        ``json_schema`` response format is required here (the app always sends one)."""
        problems = []
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            problems.append("model is required")
        else:
            messages = body.get("messages")
            if not isinstance(messages, list) or not all(
                isinstance(m, dict) and m.get("role") in ("system", "user", "assistant")
                and _content_ok(m.get("content")) for m in messages
            ):  # fmt: skip
                problems.append("messages must be a list of {role, content}")
            fmt = body.get("response_format") or {}
            if fmt.get("type") != "json_schema" or "schema" not in (fmt.get("json_schema") or {}):
                problems.append("response_format must be a json_schema")
        if problems:
            return self.error(400, "; ".join(problems))
        fake = self.fake
        time.sleep(fake.chat_seconds)
        asked_for = (body.get("response_format") or {}).get("json_schema", {}).get("name")
        with fake._lock:
            usual = DEFAULT_VERDICT if asked_for == "likeness_verdict" else DEFAULT_PLAN
            scripted = fake.plans.popleft() if fake.plans else usual
        if scripted == "no-choices":
            return self.send_json(200, {"id": self.rid, "choices": []})
        message: dict = {"role": "assistant", "content": None, "refusal": None}
        if scripted == "refusal":
            message["refusal"] = "I'm sorry, I can't help with that."
        else:
            message["content"] = scripted if isinstance(scripted, str) else json.dumps(scripted)
        self.send_json(200, {
            "id": self.rid, "object": "chat.completion", "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 812, "completion_tokens": 240, "total_tokens": 1052},
        })  # fmt: skip

    def huge(self, status: int) -> None:
        """100 MB of JSON, counted as it goes out: a client with a cap hangs up early."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(100 * 2**20))
        self.end_headers()
        block, sent = b" " * 2**16, 0
        try:
            self.wfile.write(b'{"message": "')
            while sent < 100 * 2**20 - 20 and not self.fake.closing.is_set():
                self.wfile.write(block)
                sent += len(block)
        except OSError:
            pass
        self.fake.sent.append(sent)
        self.close_connection = True

    def edit_image(self, body: dict, fault: str) -> None:
        """An editing model: the picture drawn (the fake's photo, or ``fake.drawn[side]``
        when the prompt names a side) as a CDN link, or inline as base64 (fault "b64"); an
        answer whose link is not a picture (fault "not-a-picture")."""
        problems = _edit_problems(body)
        if problems:
            return self.error(400, "Body validation error!", details=problems)
        fake = self.fake
        asked = {"left side": "left", "behind": "back", "right side": "right"}
        side = next((v for words, v in asked.items() if words in body["prompt"]), "")
        picture = fake.drawn.get(side, fake.photo)
        name = f"{uuid.uuid4().hex[:8]}.png"
        with fake._lock:
            fake.drawn_files[name] = b"<html>no</html>" if fault == "not-a-picture" else picture
        item: dict = {"url": f"{fake.cdn_url}/drawn/{name}"}
        if fault == "b64":
            item = {"b64_json": base64.b64encode(picture).decode("ascii")}
        self.send_json(200, {
            "data": [item], "requestId": self.rid,
            "meta": fake.meta(body["model"], {"credits_used": 42000}),
        })  # fmt: skip

    def text_to_image(self, body: dict, fault: str) -> None:
        prompt = body.get("prompt")
        extra = set(body) - {"model", "prompt", "image_size", "num_images"}
        if not isinstance(prompt, str) or not 0 < len(prompt) <= 4000 or extra:
            details = ["prompt must be 1 to 4000 characters"]
            details += [f"property {k} should not exist" for k in sorted(extra)]
            return self.error(400, "Body validation error!", details=details)
        url = f"{self.fake.cdn_url}/images/{uuid.uuid4().hex[:8]}.png"
        if fault == "picture-redirect-metadata":
            url = f"{self.fake.cdn_url}/images/redirect-metadata"
        if fault == "bad-shape":
            return self.send_json(200, {"requestId": self.rid, "status": "done"})
        if fault == "generic":
            return self.send_json(200, {"data": [{"url": url}], "requestId": self.rid})
        self.send_json(
            200,
            {
                "images": [
                    {"url": url, "width": 1024, "height": 1024, "content_type": "image/png"}
                ],
                "requestId": self.rid,
                "meta": self.fake.meta(body["model"], {"credits_used": 6000}),
            },
        )


def _edit_problems(body: dict) -> list[str]:
    """google/nano-banana-edit's documented body (the other editing models alike)."""
    problems = [f"property {k} should not exist" for k in body if k not in EDIT_KEYS]
    prompt, urls = body.get("prompt"), body.get("image_urls")
    if not isinstance(prompt, str) or not 0 < len(prompt) <= 4000:
        problems.append("prompt is required")
    if (
        not isinstance(urls, list)
        or not 1 <= len(urls) <= 3
        or not all(
            isinstance(u, str) and u.startswith(("https://", "http://", "data:image/"))
            for u in urls
        )
    ):
        problems.append("image_urls must be 1 to 3 URLs or Base64 data")
    seed = body.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 4294967295:
        problems.append("seed must be 0 to 4294967295")
    count = body.get("num_images", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 4:
        problems.append("num_images must be 1 to 4")
    return problems


def _validate(body: object) -> list[str]:
    """The documented triposr body: what the real service checks before generating."""
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    problems = [f"property {k} should not exist" for k in body if k not in BODY_KEYS]
    if body.get("model") != "triposr":
        problems.append("model must be triposr")
    url = body.get("image_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://", "data:image/")):
        problems.append("image_url must be a URL")
    if body.get("output_format", "glb") not in ("glb", "obj"):
        problems.append("output_format must be one of glb, obj")
    if not isinstance(body.get("do_remove_background", True), bool):
        problems.append("do_remove_background must be a boolean")
    ratio = body.get("foreground_ratio", 0.9)
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0.5 <= ratio <= 1:
        problems.append("foreground_ratio must be between 0.5 and 1")
    res = body.get("mc_resolution", 256)
    if isinstance(res, bool) or not isinstance(res, int) or not 32 <= res <= 1024:
        problems.append("mc_resolution must be an integer between 32 and 1024")
    return problems


OTHER_MODELS = (
    "magic/image-to-3d",
    "meshy/meshy-6-image-to-3d",
    "meshy/v6/image-to-3d",
    "tencent/hunyuan-part",
)
_URL = ("http://", "https://")
_DATA_OR_URL = (*_URL, "data:image/")


def _validate_other(body: dict) -> list[str]:
    """The documented bodies of the other 3D models, checked as the service would."""
    model = body["model"]
    problems: list[str] = []

    def need(key, ok, says):
        if key in body and not ok(body[key]):
            problems.append(f"{key} {says}")

    def number(low, high, whole=False):
        kinds = int if whole else (int, float)
        return lambda v: isinstance(v, kinds) and not isinstance(v, bool) and low <= v <= high

    boolean = lambda v: isinstance(v, bool)  # noqa: E731
    link = lambda starts: lambda v: isinstance(v, str) and v.startswith(starts)  # noqa: E731
    if model == "magic/image-to-3d":
        keys = {"model", "front_image_url", "left_image_url", "back_image_url", "right_image_url"}
        if "front_image_url" not in body:
            problems.append("front_image_url is required")
        for key in keys - {"model"}:
            need(key, link(_DATA_OR_URL), "must be a URL or a Base64 data URI")
    elif model == "tencent/hunyuan-part":
        keys = {"model", "mesh_url", "point_num", "use_normal", "noise_std", "seed"}
        keys |= {f"point_prompt_{a}" for a in "xyz"}
        if "mesh_url" not in body:
            problems.append("mesh_url is required")
        need("mesh_url", link(_URL), "must be a URL")
        for axis in "xyz":
            need(f"point_prompt_{axis}", number(-1, 1), "must be between -1 and 1")
        need("point_num", number(1, 10**7, True), "must be a positive integer")
        need("use_normal", boolean, "must be a boolean")
        need("noise_std", number(0, 10), "must be a non-negative number")
        need("seed", number(1, 2**63, True), "must be an integer >= 1")
    else:
        keys = {"model", "image_url", "model_type", "topology", "target_polycount"}
        keys |= {"symmetry_mode", "should_remesh", "should_texture", "enable_pbr"}
        keys |= {"pose_mode", "texture_prompt"}
        if "image_url" not in body:
            problems.append("image_url is required")
        need("image_url", link(_DATA_OR_URL), "must be a URL or a Base64 data URI")
        choices = {
            "model_type": ("standard", "lowpoly", "smart-topology"),
            "topology": ("triangle", "quad"),
            "symmetry_mode": ("off", "auto", "on"),
            "pose_mode": ("a-pose", "t-pose", ""),
        }
        for key, allowed in choices.items():
            need(key, lambda v, allowed=allowed: v in allowed, f"must be one of {allowed}")
        need("target_polycount", number(100, 300000, True), "must be 100 to 300000")
        for key in ("should_remesh", "should_texture", "enable_pbr"):
            need(key, boolean, "must be a boolean")
        need("texture_prompt", lambda v: isinstance(v, str) and len(v) <= 600, "too long")
    problems += [f"property {k} should not exist" for k in body if k not in keys]
    return problems


def _content_ok(content: object) -> bool:
    """A message's content as documented: text, or a list of text and image_url parts (an
    image given by an https link or a base64 data URL)."""
    if isinstance(content, str):
        return True
    if not isinstance(content, list) or not content:
        return False
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            continue
        url = (part.get("image_url") or {}).get("url") if kind == "image_url" else None
        if not isinstance(url, str) or not url.startswith(("https://", "data:image/")):
            return False
        if url.startswith("data:") and ";base64," not in url:
            return False
    return True


def make_parts() -> trimesh.Trimesh:
    """A segmented mesh as hunyuan-part returns it: one mesh, each part in its own colour
    (three boxes side by side)."""
    boxes = []
    for number, colour in enumerate([(230, 60, 60), (60, 200, 80), (70, 90, 230)]):
        box = trimesh.creation.box((0.5, 0.5, 0.5))
        box.apply_translation((number * 0.6 - 0.6, 0, 0))
        box.visual = trimesh.visual.ColorVisuals(
            box, vertex_colors=np.tile([*colour, 255], (len(box.vertices), 1))
        )
        boxes.append(box)
    return trimesh.util.concatenate(boxes)


# What the CDN serves for the other models' files, by extension.
_FILES = {
    "fbx": b"Kaydara FBX Binary  \x00\x1a\x00" + bytes(200),
    "usdz": b"PK\x03\x04" + bytes(200),
    "stl": b"solid fake\nendsolid fake\n",
    "blend": b"BLENDER-v300" + bytes(200),
}


class _CdnHandler(_Handler):
    server_name = "cdn"

    def do_GET(self):
        self._record(None)
        fake = self.fake
        parts = self.path.strip("/").split("/")
        if parts[0] == "drawn" and len(parts) == 2:  # what an editing model drew
            with fake._lock:
                drawn = fake.drawn_files.get(parts[1])
            if drawn is None:
                return self.send_bytes(404, b"no such file", "text/plain")
            return self.send_bytes(200, drawn, "image/png")
        if parts[0] == "images" and len(parts) == 2:  # pictures a browser might link to
            if parts[1].startswith("redirect-"):
                return self.redirect(parts[1][len("redirect-") :], "picture.png")
            return self.send_bytes(200, fake.photo, "image/png")
        if len(parts) != 4 or parts[0] != "files":
            return self.send_bytes(404, b"no such file", "text/plain")
        variant, name = parts[1], parts[3]
        if variant.startswith("redirect-"):
            return self.redirect(variant[len("redirect-") :], name)
        if variant == "drip-headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            return self._trickle(b"X-Slow: " + b"a" * 600, 1, 1.0)
        if variant == "drip-download":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(fake.glb)))
            self.end_headers()
            return self._trickle(fake.glb, 1, 1.0)
        data = fake.glb if name.endswith(".glb") else fake.obj
        if name.startswith(("segmented", "mask_")):
            data = fake.parts_glb
        ext = name.rsplit(".", 1)[-1]
        if ext == "png":
            data = fake.photo
        data = _FILES.get(ext, data)
        octet = "application/octet-stream"
        if variant in ("ok", "hostile-name"):
            return self.send_bytes(200, data, octet)
        if variant == "cdn-404":
            return self.send_bytes(404, b"<Error>NoSuchKey</Error>", "application/xml")
        if variant == "wrong-type":
            return self.send_bytes(200, b"<!doctype html><h1>Sign in</h1>", "text/html")
        if variant == "not-mesh":
            return self.send_bytes(200, b"\x89PNG\r\n\x1a\n" + bytes(4000), octet)
        self.send_response(200)
        self.send_header("Content-Type", octet)
        if variant == "truncated":
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            return self.drop()
        if variant.startswith("oversize"):
            if variant == "oversize":
                self.send_header("Content-Length", str(fake.oversize_bytes))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            return self._trickle(b"glTF" + bytes(fake.oversize_bytes - 4), 64 * 1024, 0)
        if variant == "slow-download":
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            chunk = 1024
            return self._trickle(data, chunk, fake.slow_seconds / 2 / (len(data) / chunk))
        self.send_bytes(500, b"unknown variant", "text/plain")

    def redirect(self, where: str, name: str) -> None:
        target = {
            "ok": f"/files/ok/{uuid.uuid4().hex[:8]}/{name}",
            "http": f"http://10.255.255.1/files/{name}",
            "metadata": "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
            "loop": self.path,
        }[where]
        self.send_bytes(302, b"", "text/plain", {"Location": target})
