"""The whole image-to-3D pipeline as one plain function, with progress and cancel hooks.

The GUI runs it in a worker thread, the CLI in the foreground; neither holds any of its logic.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

from aiml3d_desktop.core.api import download, models
from aiml3d_desktop.core.api.client import AimlClient
from aiml3d_desktop.core.api.models import ModelParams
from aiml3d_desktop.core.api.params import (
    DEFAULT_BASE,
    EDIT_MODEL,
    LOCAL_MODEL,
    PROMPT_SUFFIX,
    TEXT_TO_IMAGE_MODEL,
    TriposrParams,
)
from aiml3d_desktop.core.assets import likeness
from aiml3d_desktop.core.common.cancel import CancelToken
from aiml3d_desktop.core.common.errors import InputError, LibraryError
from aiml3d_desktop.core.common.fileio import (
    safe_filename,
    safe_stem,
    space_problem,
    sweep_partials,
    unique_path,
    writable,
    write_bytes,
)
from aiml3d_desktop.core.common.stages import Progress, Stage, no_progress
from aiml3d_desktop.core.generation import batch
from aiml3d_desktop.core.generation.views import draw_view
from aiml3d_desktop.core.library.results import Drawing, Generation, JobResult
from aiml3d_desktop.core.meshes import mesh
from aiml3d_desktop.core.net.policy import RetryPolicy, Timeouts
from aiml3d_desktop.core.pictures import images
from aiml3d_desktop.core.pictures.limits import DEFAULT_MAX_SIDE
from aiml3d_desktop.core.settings import Settings

if TYPE_CHECKING:
    from aiml3d_desktop.core.api.calls import Call
    from aiml3d_desktop.core.library.entry import Entry
    from aiml3d_desktop.core.library.store import Library
    from aiml3d_desktop.core.meshes.scene import Scene


@dataclass
class JobOptions:
    api_key: str | None = field(repr=False)  # a secret: never in a log line
    base_url: str = DEFAULT_BASE
    max_side: int = DEFAULT_MAX_SIDE
    max_download: int = download.DEFAULT_MAX_BYTES
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    backend: str = "aiml"  # or "local": the offline relief preview (core/pictures/relief.py)
    prepare: bool = True  # frame a local picture before upload (core/pictures/cutout.py)
    record: Callable[[Call], object] | None = None  # hears of every model call

    def fetching(self, client: AimlClient, progress: Progress, cancel: CancelToken) -> dict:
        """download.fetch()'s options for the links ``client``'s answers hand out."""
        return {
            "max_bytes": self.max_download,
            "progress": lambda done, total: progress(Stage.DOWNLOADING, done, total),
            "cancel": cancel,
            "timeouts": self.timeouts,
            "retry": self.retry.heard_by(progress),
            "local_ok": client.local_links_ok,
        }

    def client(self, cancel: CancelToken, progress: Progress = no_progress) -> AimlClient:
        """A client whose waits before a retry are told to ``progress``."""
        return AimlClient(
            self.api_key,
            self.base_url,
            timeouts=self.timeouts,
            retry=self.retry.heard_by(progress),
            cancel=cancel,
            record=self.record,
        )

    @classmethod
    def from_settings(
        cls,
        conf: Settings,
        api_key: str | None,
        *,
        api_base: str | None = None,
        max_side: int | None = None,
        **overrides,
    ) -> JobOptions:
        """Options as the saved settings say, with the caller's overrides (CLI flags)."""
        return cls(
            api_key=api_key,
            base_url=conf.api_base_for(api_base),
            max_side=conf.max_side if max_side is None else max_side,
            max_download=conf.max_download_mib * 2**20,
            **{"prepare": conf.prepare, **overrides},
        )


def generate(
    source: str,
    params: TriposrParams | ModelParams,
    out_dir: Path,
    options: JobOptions,
    *,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
    name: str | None = None,
    views: dict[str, str] | None = None,
    prepared: Sequence[images.PreparedImage] = (),
) -> JobResult:
    """Picture (path or URL) in, a checked mesh file in ``out_dir`` out, or an exception.
    The file is named after the picture, or ``name``. A multi-view model takes ``source``
    as its front view and ``views`` (left, back, right) beside it. Further files the answer
    lists (Meshy's FBX, USDZ, textures...) are downloaded beside the mesh.

    ``prepared``: pictures already made ready to send (the window's preview made them:
    preview.load_preview(upload=True) gives Preview.picture). One made from ``source`` (or
    a view) with this job's options (its max side; framed or not, with the model's fill)
    is sent exactly as it is, and its file is not opened again; any other is ignored and
    the picture prepared afresh (images.prepare, PreparedImage.made_as).

    On any error or cancel nothing is left in ``out_dir``.
    """
    cancel = cancel or CancelToken()
    problem = writable(Path(out_dir))
    if problem:  # before a paid generation, not after
        raise InputError(
            f"Cannot write to {out_dir}: {problem}",
            hint="Choose a folder you can write to. Nothing was sent.",
        )
    sweep_partials(Path(out_dir))  # what a killed earlier run left there
    if options.backend == "local":
        return generate_local(source, out_dir, progress=progress, cancel=cancel)
    if options.backend != "aiml":
        raise ValueError(f"unknown backend {options.backend!r}")
    started = time.monotonic()
    request = ModelParams.of(params).validate()
    spec = request.spec
    if spec.takes == models.MESH:
        raise InputError(f"{spec.title} takes a mesh, not a picture", hint="Use Split into parts.")
    if views and spec.takes != models.VIEWS:
        raise InputError(f"{spec.title} takes one picture, not several views")
    progress(Stage.PREPARING, None, None)
    fill = request.fill if options.prepare else None
    image = images.prepare(source, options.max_side, fill, ready=prepared)
    inputs = {"front" if spec.takes == models.VIEWS else "image": image}
    for view, where in (views or {}).items():
        inputs[view] = images.prepare(where, options.max_side, fill, ready=prepared)
        cancel.check()
    cancel.check()
    client = options.client(cancel, progress)

    def on_sent(done: int, total: int) -> None:
        progress(Stage.UPLOADING, done, total)
        if done >= total:
            progress(Stage.GENERATING, None, None)

    answer = client.generate(request, inputs, on_sent)  # type: ignore[arg-type]
    link = answer.mesh
    fmt = request.output_format
    dest = unique_path(Path(out_dir), safe_stem(name or image.stem), f".{fmt}")

    def load_part(tmp: Path) -> mesh.LoadedMesh:
        progress(Stage.LOADING, None, None)
        return mesh.load(tmp, file_type=fmt, name=dest.name)

    fetching = options.fetching(client, progress, cancel)
    size, loaded = download.fetch(link, dest, fmt, check=load_part, **fetching)
    loaded.path = dest
    try:
        outputs, notes = download.fetch_files(answer.files, dest, **fetching)
    except BaseException:  # cancelled: nothing of this job is left behind
        dest.unlink(missing_ok=True)
        raise
    generation = Generation(
        source=image.source,
        source_kind="url" if image.is_url else "file",
        model=spec.id,
        params=request.as_dict(),
        request_id=link.request_id,
        timings=link.timings,
        credits_used=link.credits_used,
        file_size=size,
        mesh=loaded.stats.as_dict(),
        elapsed_s=round(time.monotonic() - started, 3),
    )
    generation.details.update(
        uploaded_size=[image.width, image.height] if image.width else None,
        prepared=fill is not None and not image.is_url,
        preparation_notes=list(image.notes),
        output_notes=notes,
        api_base=client.base_url,
        server_file_name=safe_filename(link.file_name, fmt) if link.file_name else None,
        mesh_url=link.url,  # what Split into parts sends (the service needs a link)
    )
    if link.usd_spent is not None:
        generation.details["usd_spent"] = link.usd_spent
    if views:
        generation.details["views"] = {v: inputs[v].source for v in views}
    if answer.info:
        generation.details["answer"] = answer.info
    if answer.unknown:
        generation.details["answer_unknown"] = answer.unknown
    _keep_likeness(generation, loaded.scene, image.data)
    return JobResult(dest, loaded, image, generation, outputs=outputs)


def generate_local(
    source: str,
    out_dir: Path,
    *,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> JobResult:
    """The offline backend: a quick relief preview of the picture (not TripoSR), as a GLB
    in ``out_dir``; no key, no network unless ``source`` is a link."""
    import trimesh
    from PIL import Image

    from aiml3d_desktop.core.generation import preview
    from aiml3d_desktop.core.pictures import relief

    cancel = cancel or CancelToken()
    started = time.monotonic()
    progress(Stage.PREPARING, None, None)
    picture = preview.load_preview(source, cancel=cancel)
    progress(Stage.GENERATING, None, None)
    made = relief.make_relief(picture.rgba)
    cancel.check()
    built = time.monotonic() - started
    progress(Stage.LOADING, None, None)
    height, width = picture.rgba.shape[:2]
    image = images.PreparedImage(
        image_url="",
        source=source,
        is_url=picture.is_url,
        width=width,
        height=height,
        original_size=picture.size,
    )
    dest = unique_path(Path(out_dir), safe_stem(image.stem), ".glb")
    tm = trimesh.Trimesh(made.vertices, made.faces, vertex_colors=made.colors, process=False)
    try:
        write_bytes(dest, cast(bytes, tm.export(file_type="glb")))
    except OSError as exc:
        raise InputError(
            f"Could not write the mesh to {dest.parent}: {exc.strerror or exc}",
            hint="Free some disk space, or choose another folder.",
        ) from None
    loaded = mesh.load(dest)
    generation = Generation(
        source=source,
        source_kind="url" if picture.is_url else "file",
        model=LOCAL_MODEL,
        params=relief.ReliefParams().as_dict(),
        timings={"relief": round(built, 3)},
        file_size=dest.stat().st_size,
        mesh=loaded.stats.as_dict(),
        elapsed_s=round(time.monotonic() - started, 3),
    )
    generation.details.update(uploaded_size=None, object_share=round(made.mask_share, 3))
    _keep_likeness(generation, loaded.scene, Image.fromarray(picture.rgba))
    return JobResult(dest, loaded, image, generation)


def draw(
    prompt: str,
    options: JobOptions,
    *,
    suffix: str = PROMPT_SUFFIX,
    image_model: str = TEXT_TO_IMAGE_MODEL,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> Drawing:
    """Ask a text-to-image model for a picture of ``prompt`` + ``suffix`` (the suffix asks
    for one object on a plain background, which is what TripoSR builds best from)."""
    from aiml3d_desktop.core.generation.preview import fetch_picture

    cancel = cancel or CancelToken()
    prompt = prompt.strip()
    if not prompt:
        raise InputError("Type what to make first", hint="For example: a red armchair.")
    image_model = image_model.strip() or TEXT_TO_IMAGE_MODEL
    progress(Stage.PICTURING, None, None)
    client = options.client(cancel, progress)
    link = client.text_to_image(prompt + suffix, image_model)
    picture = fetch_picture(link.url, cancel, local_ok=client.local_links_ok)
    return Drawing(
        prompt, suffix, image_model, link.url, link.request_id, link.credits_used, picture
    )


def generate_any(
    source: str,
    prompt: str | Drawing | None,
    params: TriposrParams | ModelParams,
    out_dir: Path,
    options: JobOptions,
    *,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
    views: dict[str, str] | None = None,
    prepared: Sequence[images.PreparedImage] = (),
    **draw_options,
) -> JobResult:
    """A picture (``source``; ``prepared``: see generate()); or text to 3D from a ``prompt``
    (drawn first, with ``draw_options``) or from a Drawing already made and shown: TripoSR
    builds from the drawing's link, and the result keeps the prompt, the picture and both
    requests."""
    if prompt is None:
        return generate(
            source,
            params,
            out_dir,
            options,
            progress=progress,
            cancel=cancel,
            views=views,
            prepared=prepared,
        )
    started = time.monotonic()
    drawing = (
        prompt
        if isinstance(prompt, Drawing)
        else draw(prompt, options, progress=progress, cancel=cancel, **draw_options)
    )
    result = generate(
        drawing.url,
        params,
        out_dir,
        options,
        progress=progress,
        cancel=cancel,
        name=drawing.prompt[:40],
        views=views,  # a multi-view model's other views (drawn from the drawing, or given)
        prepared=prepared,
    )
    result.picture = drawing.picture
    made = result.generation
    _keep_likeness(made, result.loaded.scene, drawing.picture)
    made.title, made.source, made.source_kind = drawing.prompt[:60], drawing.prompt, "prompt"
    made.elapsed_s = round(time.monotonic() - started, 3)
    made.details.update(
        prompt_suffix=drawing.suffix,
        text_to_image={
            "model": drawing.model,
            "url": drawing.url,
            "request_id": drawing.request_id,
            "credits_used": drawing.credits_used,
        },
    )
    return result


def generate_to_library(
    library: Library,
    source: str,
    params: TriposrParams | ModelParams,
    options: JobOptions,
    *,
    prompt: str | Drawing | None = None,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
    views: dict[str, str] | None = None,
    prepared: Sequence[images.PreparedImage] = (),
    draw_views: Sequence[str] = (),
    edit_model: str = EDIT_MODEL,
    drawn: dict[str, dict] | None = None,
    **draw_options,
) -> tuple[Entry, JobResult]:
    """generate() into a new library entry: saved whole before anyone sees it; on any
    error or cancel, nothing is left in the library. Every call it makes goes into the
    library's usage ledger. ``prepared``: pictures the window already prepared (see
    generate()). ``draw_views``: sides to draw first with ``edit_model`` (views.py), kept
    in the entry; ``drawn``: how views given were drawn (the window drew them)."""
    options = replace(options, record=options.record or library.record)
    if options.backend == "aiml":
        _room_for_a_model(library.root, "the library")
    with library.draft() as draft:
        views, drawn, prepared = _with_drawn_views(
            source, params, draft.folder, options, views, drawn, prepared,
            draw_views, edit_model, progress, cancel,
        )  # fmt: skip
        result = generate_any(
            source,
            prompt,
            params,
            draft.folder,
            options,
            progress=progress,
            cancel=cancel,
            views=views,
            prepared=prepared,
            **draw_options,
        )
        if drawn:
            result.generation.details["drawn_views"] = drawn
        entry = draft.commit_generation(result)
    result.mesh_path = result.loaded.path = entry.mesh_path
    return entry, result


def generate_item(
    item: batch.QueueItem,
    library: Library | None,
    out_dir: Path | None,
    options: JobOptions,
    *,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[Entry | None, JobResult]:
    """One batch queue item, made with the settings it was queued with: into the library, or
    (without one) into ``out_dir``."""
    options = replace(options, backend=item.backend, prepare=item.prepare, max_side=item.max_side)
    try:
        params = ModelParams(item.model, item.params).validate()
    except InputError as exc:
        raise InputError(
            f"This queue item's parameters are not usable: {exc.message}",
            hint="Remove it and add the picture again.",
        ) from None
    prompt = item.source if item.kind == batch.PROMPT else None
    sides = list(item.draw_options.get("views") or [])
    editor = str(item.draw_options.get("edit_model") or EDIT_MODEL)
    words = {k: v for k, v in item.draw_options.items() if k in ("suffix", "image_model")}
    how = {"progress": progress, "cancel": cancel, **words}
    if item.views:
        how["views"] = item.views
    if library is None:
        if out_dir is None:
            raise ValueError("generate_item needs a library or an output folder")
        if options.backend == "aiml":
            _room_for_a_model(out_dir, "the output folder")
        views, drawn, prepared = _with_drawn_views(
            item.source, params, out_dir, options, item.views, None, (), sides, editor,
            progress, cancel,
        )  # fmt: skip
        how.update(views=views, prepared=prepared)
        result = generate_any(item.source, prompt, params, out_dir, options, **how)
        if drawn:
            result.generation.details["drawn_views"] = drawn
        return None, result
    queued = item.draw_options.get("drawn")  # views the window drew, queued with the picture
    return generate_to_library(
        library, item.source, params, options, prompt=prompt, draw_views=sides,
        edit_model=editor, drawn=queued if isinstance(queued, dict) else None, **how,
    )  # fmt: skip


def _with_drawn_views(
    source: str,
    params: TriposrParams | ModelParams,
    folder: Path,
    options: JobOptions,
    views: dict[str, str] | None,
    drawn: dict[str, dict] | None,
    prepared: Sequence[images.PreparedImage],
    sides: Sequence[str],
    edit_model: str,
    progress: Progress,
    cancel: CancelToken | None,
) -> tuple[dict[str, str], dict[str, dict], Sequence[images.PreparedImage]]:
    """The views to send (those given, and ``sides`` drawn into ``folder`` from the front
    picture as it will be sent), how each drawn one was drawn, and the pictures prepared."""
    views, drawn = dict(views or {}), dict(drawn or {})
    if not sides:
        return views, drawn, prepared
    request = ModelParams.of(params).validate()
    if request.spec.takes != models.VIEWS:
        raise InputError(f"{request.spec.title} takes one picture: it has no views to draw")
    fill = request.fill if options.prepare else None
    front = images.prepare(source, options.max_side, fill, ready=prepared)
    for side in sides:  # in a folder of the user's (--no-library): nothing of theirs replaced
        dest = unique_path(folder, f"view-{side}", ".png")
        made = draw_view(front, side, options, dest.with_suffix(""), model=edit_model,
                         progress=progress, cancel=cancel)  # fmt: skip
        views[side] = str(made.path)
        drawn[side] = made.as_json()
    return views, drawn, (front, *prepared)


def _keep_likeness(generation: Generation, scene: Scene, picture: object) -> None:
    """The model's likeness to the picture it was made from, kept with it when it can be
    measured (core/assets/likeness.py)."""
    measured = likeness.measure(scene, picture)  # type: ignore[arg-type]
    if measured is not None:
        generation.details["likeness"] = measured


def _room_for_a_model(folder: Path, what: str) -> None:
    """LibraryError (which stops a batch) before a paid call whose model could not be kept."""
    problem = space_problem(folder)
    if problem:
        raise LibraryError(
            f"Nothing was sent: {what} ({folder}) is too full to keep a new model; {problem}",
            hint="Free some space on that disk, then try again.",
        )
