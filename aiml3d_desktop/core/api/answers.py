"""Reading a 3D model's answer: the mesh link, any further files, what it cost, and the
fields nobody here knows yet (kept, not dropped). Pure functions of the parsed JSON: a
server that lies gets one BadResponseError, never a crash (tests/core/test_answers.py
fuzzes them)."""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass, field, replace

from aiml3d_desktop.core.common.errors import BadResponseError
from aiml3d_desktop.core.common.nesting import deeper_than

# Answer fields every reader understands; the rest are kept in the entry as they came.
COMMON = {"requestId", "request_id", "meta", "timings"}
UNKNOWN_LIMIT = 16 * 1024  # bytes of unknown fields kept (an answer is a few hundred)


@dataclass(frozen=True)
class MeshLink:
    """Where the generated mesh is, and what the API said about making it."""

    url: str | None
    inline: bytes | None  # the generic shape may carry the file as b64_json instead of a URL
    file_name: str | None
    content_type: str | None
    file_size: int | None
    request_id: str | None
    timings: dict = field(default_factory=dict)
    credits_used: float | None = None
    usd_spent: float | None = None


@dataclass(frozen=True)
class FileLink:
    """A further file the answer lists (an FBX, a texture, a part mask...)."""

    role: str  # what it is, as a short name: "fbx", "texture base_color 1", "mask 2"
    url: str
    file_name: str | None = None
    file_size: int | None = None


@dataclass(frozen=True)
class Answer:
    mesh: MeshLink  # the model to show
    files: tuple[FileLink, ...] = ()
    info: dict = field(default_factory=dict)  # what the model reports (seed, IoU scores...)
    unknown: dict = field(default_factory=dict)  # fields this version does not know


def read(kind: str, body: dict) -> Answer:
    """The answer of a model whose reader is ``kind`` (models.Model.answer)."""
    return {"mesh": _generic, "meshy": _meshy, "parts": _parts}[kind](body)


def _generic(body: dict) -> Answer:
    """``model_mesh`` as documented, then the generic ``data[0]`` (a URL or b64_json)."""
    said = _said(body)
    mesh = body.get("model_mesh")
    link = _file(mesh, "mesh")
    if link is not None:
        kind = mesh.get("content_type") if isinstance(mesh, dict) else None
        return Answer(
            replace(
                said,
                url=link.url,
                file_name=link.file_name,
                file_size=link.file_size,
                content_type=kind if isinstance(kind, str) else None,
            ),
            unknown=_unknown(body, {"model_mesh", "data", "remeshing_dir"}),
        )
    data = body.get("data")
    if isinstance(data, list) and data and isinstance(data[0], dict):
        first = data[0]
        if _is_link(first.get("url")):
            return Answer(replace(said, url=first["url"]), unknown=_unknown(body, {"data"}))
        if isinstance(first.get("b64_json"), str):
            try:
                raw = base64.b64decode(first["b64_json"], validate=True)
            except (binascii.Error, ValueError):
                raw = b""
            if raw:
                return Answer(replace(said, inline=raw, file_size=len(raw)))
    raise _no("mesh (neither model_mesh.url nor data[0])", body, said)


MESHY_FORMATS = ("glb", "fbx", "obj", "usdz", "stl", "blend")
MESHY_MAPS = ("base_color", "metallic", "roughness", "normal")


def _meshy(body: dict) -> Answer:
    """``model_glb`` (or ``model_urls.glb``) is shown; every other listed file is kept."""
    said = _said(body)
    urls = _dict(body.get("model_urls"))
    main = _file(body.get("model_glb"), "glb") or _file(urls.get("glb"), "glb")
    if main is None:
        raise _no("GLB (neither model_glb nor model_urls.glb)", body, said)
    files = [_file(urls.get(fmt), fmt) for fmt in MESHY_FORMATS if fmt != "glb"]
    textures = body.get("texture_urls")
    for set_number, maps in enumerate(textures if isinstance(textures, list) else [], 1):
        if isinstance(maps, dict):
            files += [_file(maps.get(m), f"texture {m} {set_number}") for m in MESHY_MAPS]
    files.append(_file(body.get("thumbnail"), "thumbnail"))
    info = {k: body[k] for k in ("seed",) if number(body.get(k)) is not None}
    usd = dollars(body)
    metrics = _dict(_dict(body.get("meta")).get("metrics"))
    timings = said.timings or {  # milliseconds in the answer, seconds like the others
        k.removesuffix("_ms"): round(v / 1000, 3)
        for k, v in metrics.items()
        if number(v) is not None
    }
    mesh = replace(
        said,
        url=main.url,
        file_name=main.file_name,
        file_size=main.file_size,
        usd_spent=usd,
        timings=timings,
    )
    known = {"model_glb", "model_urls", "texture_urls", "thumbnail", "seed"}
    return Answer(mesh, tuple(f for f in files if f), info, _unknown(body, known))


def _parts(body: dict) -> Answer:
    """The segmented mesh is shown; the three candidate masks come with their IoU scores
    and the index (1 to 3) of the best."""
    said = _said(body)
    segmented = _file(body.get("segmented_mesh"), "segmented")
    if segmented is None:
        raise _no("segmented mesh (segmented_mesh.url)", body, said)
    masks = [_file(body.get(f"mask_{n}_mesh"), f"mask {n}") for n in (1, 2, 3)]
    scores = body.get("iou_scores")
    iou = (
        [float(s) for s in scores]
        if isinstance(scores, list)
        and len(scores) == 3
        and all(number(s) is not None for s in scores)
        else []
    )
    best = body.get("best_mask_index")
    if not (isinstance(best, int) and not isinstance(best, bool) and 1 <= best <= 3):
        best = 1 + iou.index(max(iou)) if iou else None  # the server did not say: the top IoU
    info: dict = {"iou_scores": iou, "best_mask_index": best}
    if number(body.get("seed")) is not None:
        info["seed"] = body["seed"]
    mesh = replace(said, url=segmented.url, file_name=segmented.file_name)
    known = {"segmented_mesh", "mask_1_mesh", "mask_2_mesh", "mask_3_mesh"}
    known |= {"iou_scores", "best_mask_index", "seed"}
    return Answer(mesh, tuple(m for m in masks if m), info, _unknown(body, known))


def _said(body: dict) -> MeshLink:
    rid = body.get("requestId") or body.get("request_id")
    rid = str(rid) if isinstance(rid, str | int) and not isinstance(rid, bool) else None
    return MeshLink(None, None, None, None, None, rid, _timings(body), credits(body))


def _file(value: object, role: str) -> FileLink | None:
    """A fal file object ``{url, file_name, file_size, ...}``, or a bare URL string."""
    if _is_link(value):
        return FileLink(role, value)  # type: ignore[arg-type]
    if not isinstance(value, dict) or not _is_link(value.get("url")):
        return None
    name, size = value.get("file_name"), value.get("file_size")
    return FileLink(
        role,
        value["url"],
        name if isinstance(name, str) else None,
        size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
    )


def _is_link(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def _no(what: str, body: dict, said: MeshLink) -> BadResponseError:
    return BadResponseError(
        f"The AIML API's answer holds no {what}",
        hint="The service may have changed; try again later.",
        request_id=said.request_id,
        details=json.dumps(body)[:4000],
    )


def _unknown(body: dict, known: set[str]) -> dict:
    """Fields no reader knows, kept as they came when they are small enough to keep."""
    rest = {k: v for k, v in body.items() if k not in known | COMMON}
    if deeper_than(rest):  # kept, it would stop every later reading of its entry
        return {"note": f"{len(rest)} unknown fields, nested too deeply to keep"}
    try:
        size = len(json.dumps(rest, default=str))
    except (RecursionError, ValueError):
        return {"note": f"{len(rest)} unknown fields, nested too deeply to keep"}
    if size > UNKNOWN_LIMIT:
        return {"note": f"{len(rest)} unknown fields, too large to keep"}
    return rest


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def _timings(body: dict) -> dict:
    return {k: v for k, v in _dict(body.get("timings")).items() if number(v) is not None}


def dollars(body: dict) -> float | None:
    """What the answer says the call cost in US dollars (Meshy), or nothing."""
    return _cost(_dict(_dict(body.get("meta")).get("usage")).get("usd_spent"))


def credits(body: dict) -> float | None:
    """What the answer says the call cost in credits (a number, or nothing)."""
    return _cost(_dict(_dict(body.get("meta")).get("usage")).get("credits_used"))


def _cost(value: object) -> float | None:
    """A cost as said: a negative one is no cost (it would give a spending limit room)."""
    found = number(value)
    return found if found is not None and found >= 0 else None
