"""Split into parts: a model's mesh link to ``tencent/hunyuan-part``, its answer kept as a
new version of the entry (or a new entry, for a bare link): the segmented mesh with each
part in its own colour and primitive, the three candidate masks with their IoU scores.

The service takes a mesh by its web address only: the link the API gave when the model
was made is kept in the entry (``extra.mesh_url``); a model from a local file has none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aiml3d_desktop.core.api.models import HUNYUAN_PART, ModelParams
from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.common.errors import ApiError, InputError
from aiml3d_desktop.core.common.stages import Progress, Stage, no_progress
from aiml3d_desktop.core.meshes import formats, mesh
from aiml3d_desktop.core.meshes.mesh_arrays import MeshArrays, distinct_rows
from aiml3d_desktop.core.meshes.scene import Primitive, Scene
from aiml3d_desktop.core.net.policy import is_url

if TYPE_CHECKING:
    from aiml3d_desktop.core.generation.jobs import JobOptions
    from aiml3d_desktop.core.library.entry import Entry, Version
    from aiml3d_desktop.core.library.store import Library

PARTS_FILE = "parts.glb"
SEGMENTED_FILE = "segmented.glb"
MAX_PARTS = 64  # more distinct colours than this is a textured mesh, not a segmentation
# Twelve colours that stay apart from each other under the studio light (Tableau 10 + 2).
PALETTE = np.array(
    [
        (78, 121, 167),
        (242, 142, 43),
        (225, 87, 89),
        (118, 183, 178),
        (89, 161, 79),
        (237, 201, 72),
        (176, 122, 161),
        (255, 157, 167),
        (156, 117, 95),
        (186, 176, 172),
        (31, 119, 180),
        (188, 189, 34),
    ],
    dtype=np.float32,
)


@dataclass
class Split:
    """What Split into parts made."""

    entry_id: str
    version: Version | None  # None when a bare link became a new entry
    parts: list[dict]  # {name, triangles, colour}
    info: dict  # IoU scores, best mask, seed, request id, credits, point


def point_prompt(point: np.ndarray, bounds: np.ndarray) -> tuple[float, float, float]:
    """A point on the model in the frame the segmenter works in (P3-SAM's normalize_pc):
    centred on the bounding box and divided by its largest half-extent, so the longest
    axis runs from -1 to 1 and the shape keeps its proportions."""
    low, high = np.asarray(bounds, dtype=np.float64)
    half = max(float((high - low).max()) / 2, 1e-12)
    scaled = np.clip((np.asarray(point, dtype=np.float64) - (low + high) / 2) / half, -1, 1)
    return (round(float(scaled[0]), 4), round(float(scaled[1]), 4), round(float(scaled[2]), 4))


def mesh_url_of(entry: Entry) -> str:
    """The link the service can fetch this entry's model from, or why there is none."""
    url = entry.extra.get("mesh_url")
    if isinstance(url, str) and is_url(url):
        return url
    why = (
        "it was opened from a file on this computer"
        if entry.source_kind == "import" or not entry.model
        else "it was made before links were kept"
    )
    raise InputError(
        f"{entry.title} cannot be split: the service takes a mesh by its web address, and "
        f"this model has none ({why})",
        hint="Split a model made through the API in this version, or give a mesh link "
        "(`aiml3d parts https://…/model.glb`).",
    )


def colour_parts(scene: Scene) -> tuple[Scene, list[dict]]:
    """Each part its own primitive, in its own colour, largest first. Parts are the file's
    primitives when it has several; else the colours the segmenter painted; else the
    pieces that do not touch."""
    if len(scene.primitives) > 1:
        pieces = [p.arrays for p in scene.primitives]
    else:
        arrays = scene.primitives[0].arrays
        pieces = _pieces(arrays, _face_labels(arrays))
    pieces.sort(key=lambda a: -len(a.indices))
    primitives, parts = [], []
    for number, arrays in enumerate(pieces):
        colour = PALETTE[number % len(PALETTE)]
        rgba = np.empty((len(arrays.positions), 4), np.float32)
        rgba[:, :3], rgba[:, 3] = colour / 255, 1.0
        name = f"Part {number + 1}"
        primitives.append(Primitive(replace(arrays, colors=rgba), node=name))
        parts.append(
            {"name": name, "triangles": len(arrays.indices), "colour": colour.astype(int).tolist()}
        )
    return Scene(primitives, unit=scene.unit), parts


def _face_labels(arrays: MeshArrays) -> np.ndarray:
    if arrays.colors is not None:
        quantised = np.round(arrays.colors[arrays.indices[:, 0], :3] * 255).astype(np.int32)
        _, labels = distinct_rows(quantised)
        if 1 < labels.max() + 1 <= MAX_PARTS:
            return labels
    faces = arrays.indices.astype(np.int64)
    # Vertices at the same place are one (a file may split them at seams).
    rounded = np.round(arrays.positions, 6) + np.float32(0.0)  # -0.0 becomes 0.0
    _, where = distinct_rows(rounded.view(np.int32).reshape(-1, 3))
    ends = where[faces]
    roots = mesh.components(int(where.max()) + 1, ends)
    _, labels = np.unique(roots[ends[:, 0]], return_inverse=True)
    return labels


def _pieces(arrays: MeshArrays, labels: np.ndarray) -> list[MeshArrays]:
    pieces = []
    for label in range(int(labels.max()) + 1):
        faces = arrays.indices[labels == label]
        used, local = np.unique(faces, return_inverse=True)

        def take(values: np.ndarray | None, used: np.ndarray = used) -> np.ndarray | None:
            return None if values is None else np.ascontiguousarray(values[used])

        pieces.append(
            MeshArrays(
                positions=np.ascontiguousarray(arrays.positions[used]),
                indices=local.reshape(-1, 3).astype(np.uint32),
                uvs=take(arrays.uvs),
                normals=take(arrays.normals),
            )
        )
    return pieces


def split(
    source: str,
    library: Library,
    options: JobOptions,
    *,
    point: tuple[float, float, float] | None = None,
    seed: int | None = None,
    values: dict | None = None,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> Split:
    """``source`` (a library entry id, or a .glb/.obj link) split by the service. An entry
    gets a new version; a link becomes a new entry. Nothing is kept on any failure."""
    cancel = cancel or CancelToken()
    started = time.monotonic()
    entry = None
    if is_url(source):
        url = source
    else:
        entry = library.get(source)
        url = mesh_url_of(entry)
    values = dict(values or {})  # the other parameters (points, normals, noise)
    if point is not None:
        values.update(
            zip(("point_prompt_x", "point_prompt_y", "point_prompt_z"), point, strict=True)
        )
    if seed is not None:
        values["seed"] = seed
    request = ModelParams(HUNYUAN_PART.id, values).validate()
    progress(Stage.GENERATING, None, None)
    client = replace(options, record=options.record or library.record).client(cancel, progress)
    try:
        answer = client.generate(request, {"mesh": url})
    except ApiError as exc:
        if exc.status in (400, 404, 422) and not exc.hint.startswith("Your account"):
            exc.hint = (
                "The service could not use the mesh link: links the API hands out expire "
                "after a while. Generate the model again, then split it."
            )
        raise
    from aiml3d_desktop.core.api import download  # requests: not when the window starts

    fetching = options.fetching(client, progress, cancel)
    made: dict[str, Any] = {}

    def write(folder: Path) -> list[Path]:
        segmented = folder / SEGMENTED_FILE
        fmt = "obj" if (answer.mesh.file_name or "").lower().endswith(".obj") else "glb"
        if fmt == "obj":
            segmented = segmented.with_suffix(".obj")

        def load(tmp: Path) -> mesh.LoadedMesh:
            progress(Stage.LOADING, None, None)
            return mesh.load(tmp, file_type=fmt, name=segmented.name)

        _, loaded = download.fetch(answer.mesh, segmented, fmt, check=load, **fetching)
        coloured, made["parts"] = colour_parts(loaded.scene)
        found = [] if len(made["parts"]) > 1 else ["The segmenter's answer holds one part only"]
        made["triangles"] = coloured.triangles
        shown = formats.write(coloured, folder / PARTS_FILE)
        masks, notes = download.fetch_files(answer.files, shown[-1], **fetching)
        made["notes"], made["segmented"] = found + notes, segmented.name
        made["masks"] = masks
        return [*shown, segmented, *(folder / m["file"] for m in masks)]

    info = {
        **answer.info,
        "point": list(point) if point else None,
        "request_id": answer.mesh.request_id,
        "credits_used": answer.mesh.credits_used,
        "mesh_url": url,
    }
    recipe_of = lambda: {  # noqa: E731 (filled once write() has run)
        "parts": {**info, "parts": made["parts"], "masks": _masks(made["masks"], answer.info)},
        "elapsed_s": round(time.monotonic() - started, 3),
    }
    if entry is not None:
        version = library.add_version(
            entry.id,
            write,
            f"Parts ({len(made.get('parts', [])) or 'split'})",
            triangles=None,
            report=[],
            recipe={},
            finish=lambda v: _finish(v, made, recipe_of()),
        )
        return Split(entry.id, version, made["parts"], info)
    with library.draft() as draft:
        write(draft.folder)
        new = draft.commit(
            title=f"Parts of {Path(url.split('?')[0]).name or 'a mesh'}"[:60],
            mesh_file=PARTS_FILE,
            source_kind="url",
            source=url,
            model=HUNYUAN_PART.id,
            params=request.as_dict(),
            request_id=answer.mesh.request_id,
            credits=answer.mesh.credits_used,
            stats={"triangles": made["triangles"], "parts": len(made["parts"])},
            # The link it was split from: Split into parts again sends it again.
            extra={"parts": recipe_of()["parts"], "output_notes": made["notes"], "mesh_url": url},
            outputs=[
                {"role": "segmented", "file": made["segmented"], "size": None, "server_name": None},
                *made["masks"],
            ],
        )
    return Split(new.id, None, made["parts"], info)


def _finish(version: Version, made: dict, recipe: dict) -> None:
    """The version's record, once its files are written (the counts come from them)."""
    version.label = f"Parts ({len(made['parts'])})"
    version.triangles = made["triangles"]
    version.recipe = recipe
    version.report = [
        *(f"{p['name']}: {p['triangles']:,} triangles" for p in made["parts"]),
        *(
            f"Mask {m['number']}: IoU {m['iou']:.2f}" + (" (best)" if m["best"] else "")
            for m in recipe["parts"]["masks"]
            if m["iou"] is not None
        ),
        *made["notes"],
    ]


def _masks(kept: list[dict], info: dict) -> list[dict]:
    scores, best = info.get("iou_scores") or [], info.get("best_mask_index")
    masks = []
    for out in kept:
        number = int(out["role"].split()[-1])
        iou = scores[number - 1] if number <= len(scores) else None
        masks.append({"number": number, "file": out["file"], "iou": iou, "best": number == best})
    return masks
