"""What the GUI runs on worker threads: core calls, plus the GPU-ready preparation that
would otherwise stall the GUI thread. Each takes ``progress`` and ``cancel`` keywords.

The core modules behind these are imported inside each task, on the worker thread: they pull
in requests and trimesh, which the window does not need in order to appear.
"""

from __future__ import annotations

import io
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QImage

from aiml3d_desktop import paths
from aiml3d_desktop.core.common.errors import InputError
from aiml3d_desktop.core.common.stages import Stage
from aiml3d_desktop.core.meshes.scene import Scene

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date

    import numpy as np

    from aiml3d_desktop.core.api.calls import Call
    from aiml3d_desktop.core.api.models import ModelParams
    from aiml3d_desktop.core.assets.pipeline import Prepared, StepProgress
    from aiml3d_desktop.core.assets.recipe import Recipe
    from aiml3d_desktop.core.common.cancel import CancelToken
    from aiml3d_desktop.core.common.stages import Progress
    from aiml3d_desktop.core.composition.assemble import Models
    from aiml3d_desktop.core.composition.document import SceneDoc, Source
    from aiml3d_desktop.core.composition.history import Composition, Outlines
    from aiml3d_desktop.core.composition.plan import Plan
    from aiml3d_desktop.core.composition.solver import Placed
    from aiml3d_desktop.core.generation.batch import QueueItem
    from aiml3d_desktop.core.generation.parts import Split
    from aiml3d_desktop.core.generation.preview import Preview
    from aiml3d_desktop.core.generation.scene_making import SceneMaking
    from aiml3d_desktop.core.library.entry import Version
    from aiml3d_desktop.core.library.results import Drawing, JobResult
    from aiml3d_desktop.core.library.store import Entry, Library
    from aiml3d_desktop.core.meshes.mesh import LoadedMesh
    from aiml3d_desktop.core.pictures.images import PreparedImage
    from aiml3d_desktop.core.session import Session


def generate(
    session: Session,
    library: Library,
    source: str,
    params: ModelParams,
    backend: str,
    drawing: Drawing | None = None,
    views: dict[str, str] | None = None,
    prepared: Sequence[PreparedImage] = (),
    drawn: dict[str, dict] | None = None,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> tuple[Entry, JobResult]:
    """One model into the library: from a picture (and a multi-view model's other views,
    ``drawn`` saying how those an editing model drew were drawn), or from a drawing (text
    to 3D)."""
    from aiml3d_desktop.core.generation import jobs

    options = session.job_options(backend)
    entry, result = jobs.generate_to_library(
        library,
        source,
        params,
        options,
        prompt=drawing,
        progress=progress,
        cancel=cancel,
        views=views or None,
        prepared=prepared,
        drawn={v: how for v, how in (drawn or {}).items() if v in (views or {})} or None,
    )
    _ready_to_draw(result.loaded.scene)
    return entry, result


def generate_item(
    session: Session,
    library: Library,
    item: QueueItem,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> Entry:
    """One batch queue item into the library."""
    from aiml3d_desktop.core.generation import jobs

    entry, _ = jobs.generate_item(
        item, library, None, session.job_options(), progress=progress, cancel=cancel
    )
    if entry is None:  # with a library there is always one
        raise ValueError("no library entry was made")
    return entry


def draw(
    session: Session,
    prompt: str,
    draw_options: dict,
    library: Library | None = None,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> Preview:
    """Text to 3D, first half: the picture model draws the prompt; the picture is kept in the
    cache and shown, and Generate then sends its link to TripoSR. The call goes into the
    library's usage ledger (a drawing thrown away cost as much as one used)."""
    from dataclasses import replace

    from PIL import Image

    from aiml3d_desktop.core.common.fileio import safe_stem, write_bytes
    from aiml3d_desktop.core.generation import jobs, preview

    record = library.record if library is not None else None
    options = session.job_options(record=record)
    drawing = jobs.draw(prompt, options, progress=progress, cancel=cancel, **draw_options)
    kind = (Image.open(io.BytesIO(drawing.picture)).format or "png").lower()
    name = f"{safe_stem(prompt[:40])}-{time.strftime('%Y%m%d-%H%M%S')}.{kind}"
    path = paths.cache_dir() / "drawn" / name
    try:
        write_bytes(path, drawing.picture)
    except OSError as exc:
        raise InputError(
            f"Could not keep the drawn picture in {path.parent}: {exc.strerror}",
            hint="Free some disk space and draw again.",
        ) from None
    return replace(preview.load_preview(str(path), cancel=cancel), drawing=drawing)


def find_pictures(paths: list[str], *, progress: Progress, cancel: CancelToken) -> list[str]:
    from aiml3d_desktop.core.generation import batch

    progress(Stage.SEARCHING, None, None)
    return batch.pictures_in(paths, cancel=cancel)


def open_library(
    root: Path | None, *, progress: Progress, cancel: CancelToken
) -> tuple[Library, list[Entry]]:
    """The library and all its entries (newest first): the browser filters them by id."""
    from aiml3d_desktop.core.library.store import Library

    library = Library(root)
    library.usage  # noqa: B018 - opened (and, the first time, filled from the entries) here
    return library, library.list()


def import_to_library(
    library: Library, path: Path, *, progress: Progress, cancel: CancelToken
) -> Entry:
    progress(Stage.IMPORTING, None, None)
    return library.import_mesh(path)


def _ready_to_draw(scene: Scene) -> Scene:
    """What the renderer needs, computed here rather than on the GUI thread: the arrays'
    buffers and bounds, and the studio's light (once per process)."""
    from aiml3d_desktop.core.look import studio

    studio.irradiance_sh()
    studio.specular_atlas()
    return scene.prepare()


def drawable_mesh(path: Path, *, progress: Progress, cancel: CancelToken) -> Scene:
    """A mesh's scene ready to draw smooth in one go (the compare view)."""
    from aiml3d_desktop.core.meshes import mesh

    scene = _ready_to_draw(mesh.load(path).scene)
    scene.smooth_normals()
    return scene


THUMBNAIL_FLATTENED = 5_000_000  # triangles of a composed scene drawn as a thumbnail


def lighter_mesh(
    source: Path | Scene | tuple[Path, Library],
    cells: int,
    above: int,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> Scene:
    """A mesh file's scene, a scene already in memory, or a composed scene's scene.json
    (with the library its models are in), made lighter for a small picture (see
    core.meshes.mesh.lighter): drawing it, which must happen on the GUI thread, is quick."""
    from aiml3d_desktop.core.meshes import mesh

    if isinstance(source, tuple):
        from aiml3d_desktop.core.composition import assemble, document

        path, library = source
        doc = document.load(path)
        scene = assemble.drawable(doc, assemble.read_models(doc, path.parent, library))
    else:
        scene = source if isinstance(source, Scene) else mesh.load(source).scene
    if scene.instances is not None and scene.triangles > THUMBNAIL_FLATTENED:
        # Flattened, a scene is a copy per placement: 2,000 of 100k triangles would be 8 GB.
        raise InputError(f"A scene of {scene.triangles:,} triangles is too big for a thumbnail")
    return _ready_to_draw(mesh.lighter(scene.flattened(), cells, above))


def open_mesh(path: str, *, progress: Progress, cancel: CancelToken) -> LoadedMesh:
    from aiml3d_desktop.core.meshes import mesh

    progress(Stage.LOADING, None, None)
    loaded = mesh.load(path)
    cancel.check()
    _ready_to_draw(loaded.scene)
    return loaded


def mesh_normals(loaded: LoadedMesh, *, progress: Progress, cancel: CancelToken) -> LoadedMesh:
    loaded.scene.smooth_normals()
    return loaded


def sheet_ready(
    loaded: LoadedMesh, title: str, dest: str, *, progress: Progress, cancel: CancelToken
) -> tuple[Scene, str, str]:
    """A snapshot sheet's mesh with smooth normals, with its title and where it goes."""
    loaded.scene.smooth_normals()
    return loaded.scene, title, dest


def mesh_stats(loaded: LoadedMesh, *, progress: Progress, cancel: CancelToken) -> LoadedMesh:
    loaded.stats  # noqa: B018 - computed here, once; the GUI reads the cached value
    return loaded


def open_picture(
    source: str,
    fill: float | None = None,
    max_side: int | None = None,
    upload: bool = True,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> Preview:
    from aiml3d_desktop.core.generation import preview
    from aiml3d_desktop.core.pictures.limits import DEFAULT_MAX_SIDE

    return preview.load_preview(
        source,
        fill=fill,
        max_side=max_side or DEFAULT_MAX_SIDE,
        upload=upload,  # prepared for sending too, once, from the same decoding
        progress=progress,
        cancel=cancel,
    )


def open_view(
    view: str,
    source: str | QImage,
    fill: float | None,
    max_side: int,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> tuple[str, Preview]:
    """One view of a multi-view model (a path, a link or pasted image data), checked and
    prepared as the main picture is; returned with the view it is for."""
    if isinstance(source, QImage):
        return view, save_pasted_image(source, fill, max_side, progress=progress, cancel=cancel)
    return view, open_picture(source, fill, max_side, progress=progress, cancel=cancel)


def save_pasted_image(
    image: QImage,
    fill: float | None = None,
    max_side: int | None = None,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> Preview:
    """A picture from the clipboard or a browser has no file: give it one, then open it."""
    folder = paths.cache_dir() / "pasted"
    folder.mkdir(parents=True, exist_ok=True)
    # Two pastes in one second (views of one object, on two workers) never share a file.
    path = folder / f"pasted-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}.png"
    if not image.save(str(path), "PNG"):  # type: ignore[call-overload]  # see save_thumbnail
        raise InputError(
            f"Could not save the pasted picture to {folder}",
            hint="Free some disk space and paste again.",
        )
    return open_picture(str(path), fill, max_side, progress=progress, cancel=cancel)


def export_mesh(
    loaded: LoadedMesh | Path | Scene, dest: str, *, progress: Progress, cancel: CancelToken
) -> Path:
    """Export what is on screen, a mesh file (a library entry's) or a scene (one part)."""
    from aiml3d_desktop.core.meshes import formats, mesh

    progress(Stage.EXPORTING, None, None)
    if isinstance(loaded, Scene):
        return formats.write(loaded, dest)[-1]
    if isinstance(loaded, Path):
        loaded = mesh.load(loaded)
    return mesh.export(loaded, dest)


def copy_file(src: Path, dest: str, *, progress: Progress, cancel: CancelToken) -> Path:
    from aiml3d_desktop.core.common.fileio import copy_atomic

    progress(Stage.EXPORTING, None, None)
    try:
        copy_atomic(src, dest)
    except OSError as exc:
        raise InputError(f"Could not write {dest}: {exc.strerror or exc}") from None
    return Path(dest)


def save_image(image: QImage, dest: str, *, progress: Progress, cancel: CancelToken) -> Path:
    """Write a PNG whole or not at all (encoding a large sheet takes a moment)."""
    from aiml3d_desktop.core.common.fileio import atomic_path

    with atomic_path(dest) as tmp:
        if not image.save(str(tmp), "PNG"):  # type: ignore[call-overload]  # see save_thumbnail
            raise InputError(
                f"Could not write {dest}", hint="Choose a folder you can write to, with free space."
            )
    return Path(dest)


def save_thumbnail(
    library: Library, entry: Entry, image: QImage, *, progress: Progress, cancel: CancelToken
) -> None:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6's stubs ask for the format as bytes, its runtime refuses bytes: str it is.
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    library.save_thumbnail(entry, bytes(buffer.data().data()))


class StepLabel:
    """What a recipe is doing now, for the panel that shows it (set on the worker, read on
    the GUI thread when the progress signal arrives: one attribute, no lock needed)."""

    text = ""


def _recipe_progress(progress: Progress, label: StepLabel | None) -> StepProgress:
    def report(step: str, fraction: float) -> None:
        if label is not None:
            label.text = step
        progress(Stage.PROCESSING, round(fraction * 1000), 1000)

    return report


def prepare_asset(
    scene: Scene,
    recipe: Recipe,
    label: StepLabel | None = None,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> Prepared:
    """Run a recipe (core/assets) on what is on screen, for a preview."""
    from aiml3d_desktop.core.assets import pipeline

    prepared = pipeline.prepare(scene, recipe, _recipe_progress(progress, label), cancel)
    for level in prepared.levels:
        level.prepare()
        level.smooth_normals()
    return prepared


def keep_version(
    library: Library,
    entry: Entry,
    recipe: Recipe,
    title: str,
    source: Scene | Prepared,
    label: StepLabel | None = None,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> tuple[Entry, Version]:
    """A recipe's result (previewed already, or made now from ``source``) kept as a new
    version of ``entry``: a GLB to view, and the recipe's formats."""
    from aiml3d_desktop.core.assets import pipeline

    prepared = source
    if isinstance(source, Scene):
        prepared = prepare_asset(source, recipe, label, progress=progress, cancel=cancel)
    assert isinstance(prepared, pipeline.Prepared)
    cancel.check()
    progress(Stage.EXPORTING, None, None)
    formats = ("glb", *[f for f in recipe.formats if f != "glb"])
    version = library.add_version(
        entry.id,
        lambda folder: pipeline.save(prepared, folder / "model.glb", formats),
        title,
        triangles=prepared.scene.triangles,
        report=prepared.lines(),
        recipe=recipe.as_dict(),
    )
    return library.get(entry.id), version


def save_prepared(
    prepared: Prepared,
    dest: str,
    formats: tuple[str, ...],
    *,
    progress: Progress,
    cancel: CancelToken,
) -> list[Path]:
    """A previewed result written to files the user chose (a model not in the library)."""
    from aiml3d_desktop.core.assets import pipeline

    progress(Stage.EXPORTING, None, None)
    return pipeline.save(prepared, Path(dest), formats)


def version_file(
    entry: Entry, version: Version, dest: str, *, progress: Progress, cancel: CancelToken
) -> Path:
    """Export a version: its own file when it holds the format asked for, else converted."""
    import shutil

    from aiml3d_desktop.core.common.fileio import atomic_path
    from aiml3d_desktop.core.meshes import mesh

    progress(Stage.EXPORTING, None, None)
    target = Path(dest)
    suffix = target.suffix.lower()
    own = [f for f in version.files if Path(f).suffix.lower() == suffix and "_lod" not in f]
    if own and suffix not in (".gltf", ".obj"):  # those have side files: written anew
        with atomic_path(target) as tmp:
            shutil.copyfile(version.folder / own[0], tmp)
        return target
    return mesh.export(mesh.load(version.mesh_path), target)


def write_turntable(
    frames: list, dest: Path, fps: int, *, progress: Progress, cancel: CancelToken
) -> Path:
    from aiml3d_desktop.core.look.turntable import write_animation

    progress(Stage.EXPORTING, None, None)
    return write_animation(frames, dest, fps)


def pick_point(
    scene: Scene,
    origin: np.ndarray,
    direction: np.ndarray,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> np.ndarray | None:
    """Where a click's ray meets the model (None: it missed), in the model's coordinates."""
    from aiml3d_desktop.core.meshes.picking import first_hit

    return first_hit(scene, origin, direction)


def split_parts(
    session: Session,
    library: Library,
    entry_id: str,
    point: tuple[float, float, float] | None,
    seed: int | None,
    values: dict,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> tuple[Entry, Split]:
    """Split into parts (tencent/hunyuan-part): kept as a new version of the entry."""
    from aiml3d_desktop.core.generation import parts

    done = parts.split(
        entry_id,
        library,
        session.job_options(),
        point=point,
        seed=seed,
        values=values,
        progress=progress,
        cancel=cancel,
    )
    return library.get(entry_id), done


def read_key(session: Session, *, progress: Progress, cancel: CancelToken) -> bool:
    """The API key looked up once (the keychain may take a while): whether there is one."""
    return session.read_key() is not None


def read_usage(
    library: Library, *, progress: Progress, cancel: CancelToken
) -> tuple[list[Call], list[date]]:
    """Every call in the usage ledger, and each one's local day (for the usage view)."""
    ledger = library.usage
    calls = ledger.calls() if ledger is not None else []
    return calls, [call.local_day() for call in calls]


def write_csv(rows: list[list], dest: str, *, progress: Progress, cancel: CancelToken) -> Path:
    """Rows (the first the header) as a CSV file, whole or not at all."""
    import csv

    from aiml3d_desktop.core.common.fileio import atomic_path

    progress(Stage.EXPORTING, None, None)
    try:
        with atomic_path(dest) as tmp, open(tmp, "w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows(rows)
    except OSError as exc:
        raise InputError(f"Could not write {dest}: {exc.strerror or exc}") from None
    return Path(dest)


def pick_placement(
    scene: Scene,
    origin: np.ndarray,
    direction: np.ndarray,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> int | None:
    """Which of ``scene.placements()`` a click's ray meets first (None: none)."""
    from aiml3d_desktop.core.meshes import picking

    hit = picking.picked(scene, origin, direction)
    return None if hit is None else hit[0]


class OpenedScene(NamedTuple):
    composition: Composition
    path: Path
    scene: Scene  # to draw: each model once, an instance per placement, smooth normals
    models: Models
    missing: list[str]  # what could not be had, in words
    entry: Entry | None  # the library's scene entry it is, if it is one


def open_scene(
    path: str,
    session: Session,
    entry: Entry | None = None,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> OpenedScene:
    """A scene.json read, its models read once each (library entries from the window's
    library, or the library itself before the window has opened it), and the scene to
    draw. Their outlines, which edits need and the first frame does not, come after
    (``scene_outlines``: 0.15 s a model of 84k triangles)."""
    from aiml3d_desktop.core.composition import assemble, document, history

    scene_file = Path(path)
    doc = document.load(scene_file)
    models = read_scene_models(
        doc, scene_file.resolve().parent, session, progress=progress, cancel=cancel
    )
    try:
        scene = assemble.drawable(doc, models)
    except InputError:
        raise InputError(
            f"{scene_file.name} shows no model that can be found",
            hint="Its models may have been moved, or deleted from the library.",
        ) from None
    missing = [m.missing for m in models.values() if m.scene is None]
    return OpenedScene(history.Composition(doc), scene_file, scene, models, missing, entry)


def read_scene_models(
    doc: SceneDoc, base: Path, session: Session, *, progress: Progress, cancel: CancelToken
) -> Models:
    """The models of ``doc`` (each once), ready to draw smooth: a scene opened, or the
    models added to one (``base``: where relative files start)."""
    from aiml3d_desktop.core.composition import assemble
    from aiml3d_desktop.core.library.store import Library

    progress(Stage.LOADING, None, None)
    library = session.library or Library(session.conf.library_path)
    try:
        models = assemble.read_models(doc, base, library)
    finally:
        if library is not session.library:
            library.close()
    cancel.check()
    for model in models.values():
        if model.scene is not None:
            _ready_to_draw(model.scene).smooth_normals()
    return models


def scene_outlines(models: Models, *, progress: Progress, cancel: CancelToken) -> Outlines:
    """Each model's outline (core/composition/arrange.py), which edits measure with."""
    outlines = {}
    for key, model in models.items():
        cancel.check()
        if model.scene is not None:
            outlines[key] = model.outline
    return outlines


def export_scene(
    doc: SceneDoc, models: Models, dest: str, *, progress: Progress, cancel: CancelToken
) -> Path:
    """A composed scene written as ``dest``'s format (core/composition/assemble.write)."""
    from aiml3d_desktop.core.composition import assemble

    progress(Stage.EXPORTING, None, None)
    return assemble.write(doc, models, dest)[0]


class ModelsToAdd(NamedTuple):
    items: list[tuple[Source, str]]  # what was asked for: each model and its name
    models: Models  # by Source.key, read or missing
    outlines: Outlines
    where: tuple | None  # where on the ground they go (None: beside the scene)


def models_to_add(
    items: list[tuple[Source, str]],
    base: Path,
    session: Session,
    where: tuple | None = None,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> ModelsToAdd:
    """Models to add to a scene, read as a scene's are (``read_scene_models``)."""
    from aiml3d_desktop.core.composition.document import Placement, SceneDoc

    wanted = SceneDoc(placements=tuple(Placement(f"p{i}", n, s) for i, (s, n) in enumerate(items)))
    models = read_scene_models(wanted, base, session, progress=progress, cancel=cancel)
    outlines = scene_outlines(models, progress=progress, cancel=cancel)
    return ModelsToAdd(items, models, outlines, where)


def plan_scene(
    session: Session, sentence: str, model: str, *, progress: Progress, cancel: CancelToken
) -> PlannedScene:
    """A sentence's plan from the planner (its call into the usage ledger), placed."""
    from aiml3d_desktop.core.composition import planner, solver

    progress(Stage.PLANNING, None, None)
    plan = planner.plan_scene(session.chat_client(cancel), sentence, model)
    return PlannedScene(sentence, plan, solver.solve(plan))


class PlannedScene(NamedTuple):
    sentence: str
    plan: Plan
    placed: list[Placed]


def begin_scene(
    library: Library,
    plan: Plan,
    name: str,
    picks: dict[str, str],
    *,
    progress: Progress,
    cancel: CancelToken,
) -> SceneMaking:
    """A plan's scene in the library, with the entries picked for some objects in place
    (core/generation/scene_making.py)."""
    from aiml3d_desktop.core.generation.scene_making import SceneMaking

    return SceneMaking.begin(library, plan, name, picks)


class MadeForScene(NamedTuple):
    item: QueueItem  # the queue item that made it, tagged with its scene and stand-in
    read: ModelsToAdd  # the model, read and measured


def made_for_scene(
    item: QueueItem, entry: Entry, session: Session, *, progress: Progress, cancel: CancelToken
) -> MadeForScene:
    """A model made for the scene shown, read as a scene's models are."""
    from aiml3d_desktop.core.composition.document import Source

    items = [(Source(entry=entry.id), entry.title)]
    read = models_to_add(items, Path("."), session, progress=progress, cancel=cancel)
    return MadeForScene(item, read)


class Delivered(NamedTuple):
    item: QueueItem
    made: Entry  # the model
    scene: Entry | None  # the scene's entry, saved with it; None: no scene took it


def deliver_to_scene(
    library: Library, item: QueueItem, entry: Entry, *, progress: Progress, cancel: CancelToken
) -> Delivered:
    """A model made for a scene not shown, into its library entry (scene_making.deliver)."""
    from aiml3d_desktop.core.generation import scene_making

    return Delivered(item, entry, scene_making.deliver(library, item, entry))


def look_again(
    session: Session,
    plan: Plan,
    sentence: str,
    picture: bytes,
    model: str,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> Plan:
    """The plan corrected by a model that sees the scene's render (its call in the ledger)."""
    from aiml3d_desktop.core.composition import review

    progress(Stage.PLANNING, None, None)
    return review.look_again(session.chat_client(cancel), plan, sentence, picture, model)


def draw_views(
    session: Session,
    front: Preview,
    sides: list[str],
    fill: float | None,
    max_side: int,
    model: str,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> DrawnViews:
    """The ``sides`` of the object in ``front`` drawn by the editing ``model`` from the
    front as it will be sent (core/generation/views.py), into the cache; each with its
    preview and how it was drawn. Every call goes to the usage ledger."""
    from dataclasses import replace

    from aiml3d_desktop.core.generation import views
    from aiml3d_desktop.core.generation.preview import load_preview
    from aiml3d_desktop.core.pictures import images

    options = replace(session.job_options(), max_side=max_side)
    if session.library is not None:
        options = replace(options, record=session.library.record)
    ready = [front.picture] if front.picture is not None else []
    picture = images.prepare(front.source, max_side, fill, ready=ready)
    folder = paths.cache_dir() / "drawn-views"
    drawn = []
    for side in sides:
        made = views.draw_view(
            picture, side, options, folder / f"{uuid.uuid4().hex[:12]}-{side}", model=model,
            progress=progress, cancel=cancel,
        )  # fmt: skip
        preview = load_preview(str(made.path), fill=fill, max_side=max_side, upload=True)
        drawn.append((side, preview, made.as_json()))
    return DrawnViews(front.source, drawn)


class DrawnViews(NamedTuple):
    front: str  # the front picture they were drawn from
    views: list[tuple[str, Preview, dict]]  # each side, its preview, how it was drawn


def check_likeness(
    session: Session,
    entry: Entry,
    renders: dict[str, bytes],
    model: str,
    *,
    progress: Progress,
    cancel: CancelToken,
) -> Entry:
    """The checker's verdict on an entry's model against its photo, kept in the entry."""
    from aiml3d_desktop.core.assets import verdict

    assert session.library is not None
    photo = verdict.photo_of(entry)
    progress(Stage.PLANNING, None, None)
    found = verdict.check(session.chat_client(cancel), photo, renders, model)
    return session.library.keep(entry.id, "verdict", found.as_json())
