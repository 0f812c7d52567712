"""``aiml3d generate``: pictures, folders, links and prompts through the batch queue, a few
at a time, each kept in the library (and copied to ``-o DIR``) as it is made."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiml3d_desktop.cli import copies, spend
from aiml3d_desktop.cli.output import (
    EPILOG,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    error,
    mib,
    warn_all,
)
from aiml3d_desktop.core.common.stages import LABELS, RetryNote, Stage

if TYPE_CHECKING:  # the rest of core is imported where it is used: see run()
    from aiml3d_desktop.core.api.models import ModelParams
    from aiml3d_desktop.core.common.cancel import CancelToken
    from aiml3d_desktop.core.generation import batch, jobs
    from aiml3d_desktop.core.session import Session
    from aiml3d_desktop.core.settings import Settings
    from aiml3d_desktop.core.spending.policy import SpendingPolicy


def add_parser(sub) -> None:
    from aiml3d_desktop.core.api.params import OUTPUT_FORMATS

    gen = sub.add_parser(
        "generate",
        help="make 3D models from pictures through the AIML API",
        description="Send each picture (a PNG/JPEG/WEBP file, a folder of them, or an http(s) "
        "link) to TripoSR (or the --model chosen) through the batch queue, and keep each "
        "mesh with what the API reported. A failed item does not stop the others.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    gen.add_argument(
        "inputs",
        nargs="*",
        metavar="IMAGE_OR_URL",
        help="picture files, links, or folders of pictures",
    )
    gen.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=2,
        metavar="N",
        help="make N models at once (1 to 8, default 2); a rate-limit answer to one slows them all",
    )
    gen.add_argument(
        "--prompt",
        action="append",
        default=[],
        metavar="TEXT",
        help="text to 3D: a picture model draws TEXT, then TripoSR makes the mesh (repeatable)",
    )
    gen.add_argument(
        "--prompt-suffix",
        metavar="TEXT",
        help="added to each prompt (default: as in the settings, which ask for one "
        "object on a plain background)",
    )
    gen.add_argument(
        "--image-model",
        metavar="MODEL",
        help="the text-to-image model (default: as in the settings, flux/schnell)",
    )
    gen.add_argument(
        "-o",
        "--output-dir",
        type=Path,
        help="also write each mesh, with a .json of its metadata, to this folder "
        "(every result is kept in the library in any case)",
    )
    gen.add_argument(
        "--no-library",
        action="store_true",
        help="do not keep the results in the library; write them to --output-dir (default: "
        "the output folder from the settings)",
    )
    gen.add_argument(
        "--backend",
        choices=("aiml", "local"),
        help="aiml: TripoSR through the AIML API (the default); local: a quick relief preview "
        "made on this computer, with no key and no network (not TripoSR)",
    )
    gen.add_argument(
        "--model",
        metavar="ID",
        help="the 3D model (default triposr); `aiml3d models` lists them and their parameters",
    )
    gen.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a parameter of the model, checked against its documented type and range "
        "(repeatable), e.g. --param target_polycount=5000",
    )
    gen.add_argument(
        "--view",
        action="append",
        default=[],
        metavar="SIDE=PATH",
        help="a multi-view model's other views of the one picture given (its front): "
        "left=, back= or right= a file or link (repeatable)",
    )
    gen.add_argument(
        "--draw-views",
        metavar="SIDES",
        help="a multi-view model's views the photo lacks, drawn first by an image-editing "
        "model from the front picture: left,back,right or some of them (a paid call each)",
    )
    gen.add_argument(
        "--edit-model",
        metavar="MODEL",
        help="the image-editing model that draws them (default google/nano-banana-edit)",
    )
    gen.add_argument(
        "--compare-with-photo",
        action="store_true",
        help="after the models are made, compare each with its photo (a chat model that sees "
        "pictures: a paid call each, counted in the estimate; needs a display)",
    )
    gen.add_argument("--format", choices=OUTPUT_FORMATS, help="mesh format (default glb)")
    gen.add_argument(
        "--no-remove-bg", action="store_true", help="keep the background (the default removes it)"
    )
    gen.add_argument(
        "--foreground-ratio",
        type=float,
        metavar="F",
        help="share of the picture the object fills, 0.5 to 1 (default 0.9)",
    )
    gen.add_argument(
        "--mc-resolution",
        type=int,
        metavar="N",
        help="marching-cubes resolution, 32 to 1024 (default 256; above 512 is "
        "slow and not recommended)",
    )
    gen.add_argument(
        "--no-prepare",
        action="store_true",
        help="send pictures as they are (by default a local picture is cropped to the object "
        "and padded to a square the object fills to the foreground ratio)",
    )
    gen.add_argument(
        "--max-side",
        type=int,
        metavar="PX",
        help="downscale local pictures so the longest side is at most PX (default 1024)",
    )
    gen.add_argument(
        "--api-base", metavar="URL", help="API base URL (default https://api.aimlapi.com)"
    )
    gen.add_argument(
        "--retries",
        type=int,
        default=4,
        metavar="N",
        help="retries on network errors, 429 and 5xx answers (default 4)",
    )
    gen.add_argument(
        "--timeout",
        type=float,
        default=180.0,
        metavar="S",
        help="seconds to wait for the API to answer (default 180)",
    )
    gen.add_argument(
        "--dry-run",
        action="store_true",
        help="print the cost estimate and what each request would send; send nothing",
    )
    gen.add_argument(
        "--max-credits",
        type=float,
        metavar="N",
        help="refuse to start when the estimate is above N credits, and start no new item "
        "once the credits the API reports reach N",
    )
    gen.add_argument(
        "--max-usd",
        type=float,
        metavar="N",
        help="the same in US dollars, for the models that report dollars (Meshy)",
    )
    gen.add_argument("-q", "--quiet", action="store_true", help="print only the summary")


def run(args: argparse.Namespace) -> int:
    # Imported here: `aiml3d --help` and `aiml3d FILE` need none of requests, numpy, Pillow.
    from aiml3d_desktop.core import settings
    from aiml3d_desktop.core.common import fileio
    from aiml3d_desktop.core.common.cancel import CancelToken
    from aiml3d_desktop.core.generation import batch
    from aiml3d_desktop.core.library.store import Library

    conf, warnings = settings.load()
    warn_all(warnings)
    problem = _usage_problem(args)
    if problem:
        error(problem)
        return EXIT_USAGE
    params = _params(args, conf)
    views = _views(args, params)
    session = _session(args, conf)
    options = _options(args, session)
    out_dir = args.output_dir or (conf.output_path if args.no_library else None)
    if out_dir is not None:
        problem = fileio.writable(Path(out_dir))
        if problem:
            error(f"cannot write to {out_dir}: {problem}")
            return EXIT_FAILED
        fileio.sweep_partials(Path(out_dir))  # what a killed earlier run left there
    lib = None if args.no_library else Library(conf.library_path)
    if lib is not None:
        session.open_library(lib)
        warn_all(lib.warnings)
    drawing = {**_drawing(args, params, views), **_comparing(args, conf, lib)}
    queue, folders = _queue(args, conf, params, options, views, drawing)
    if folders and not queue.count(batch.WAITING):
        error(f"no pictures (PNG, JPEG, WEBP) in {', '.join(folders)}")
        return EXIT_FAILED
    cost = session.cost_of(queue.items())
    refused = spend.over_budget(cost, session.spending)
    if args.dry_run:
        return spend.dry_run(queue, cost, refused)
    if not args.quiet or args.max_credits is not None or args.max_usd is not None:
        print(f"aiml3d: estimate: {cost.text}", file=sys.stderr)
    if refused:
        error(f"{refused}; nothing was sent")
        return EXIT_FAILED
    cancel = CancelToken()
    maker = Maker(lib, out_dir, options, session.spending, args.quiet, bars=args.jobs == 1)
    try:
        with cancel_on_sigterm(cancel):
            stopped = batch.run(
                queue, maker.execute, jobs=args.jobs, cancel=cancel, on_change=maker.on_change
            )
    finally:
        if lib is not None:
            lib.close()
    if cancel.cancelled or queue.count(batch.CANCELLED):
        raise KeyboardInterrupt  # SIGTERM: reported and exited like Ctrl-C
    status = _summary(queue, stopped)
    return _compared_after(args, conf, session, queue, maker.budget) or status


def _comparing(args: argparse.Namespace, conf: Settings, lib) -> dict:
    """--compare-with-photo: the checker each item's model goes to once made (counted in
    the estimate); refused before anything is paid for where it cannot be done."""
    from aiml3d_desktop.core.common.errors import InputError

    if not args.compare_with_photo:
        return {}
    if lib is None:
        raise InputError(
            "--compare-with-photo keeps its verdicts in the library: drop --no-library"
        )
    if args.backend == "local":
        raise InputError(
            "The offline relief is the photo's own outline inflated: there is nothing to "
            "compare (drop --compare-with-photo)"
        )
    from aiml3d_desktop.gui.app import check_display

    check_display("generate --compare-with-photo")
    return {"check": conf.checker_model}


def _compared_after(
    args: argparse.Namespace, conf: Settings, session: Session, queue, budget: spend.Budget
) -> int:
    """Each model made compared with its photo, on this thread (drawing needs it), each
    call held to the run's limits first; a failure exit status when one could not be."""
    from aiml3d_desktop.core.generation import batch
    from aiml3d_desktop.core.library.store import Library

    made = [i.entry_id for i in queue.items() if i.status == batch.DONE and i.entry_id]
    if not args.compare_with_photo or not made:
        return 0
    from aiml3d_desktop.cli.likeness import compare_made

    lib = Library(conf.library_path)
    session.open_library(lib)
    try:
        failed = compare_made(session, made, conf.checker_model, args.api_base, budget)
        return EXIT_FAILED if failed else 0
    finally:
        lib.close()


def _usage_problem(args: argparse.Namespace) -> str | None:
    from aiml3d_desktop.core.generation import batch
    from aiml3d_desktop.core.pictures.limits import MAX_SIDE_RANGE

    low, high = MAX_SIDE_RANGE
    if not args.inputs and not args.prompt:
        return "give pictures, links, folders or --prompt TEXT"
    if not 1 <= args.jobs <= batch.MAX_JOBS:
        return f"--jobs must be 1 to {batch.MAX_JOBS}"
    if args.max_side is not None and not low <= args.max_side <= high:
        return f"--max-side must be {low} to {high} pixels"
    return None


def _params(args: argparse.Namespace, conf: Settings) -> ModelParams:
    """The model's parameters: for TripoSR its flags, else the saved defaults; then each
    --param; all checked against the registry before anything is sent."""
    from aiml3d_desktop.core.api import models
    from aiml3d_desktop.core.api.params import TriposrParams
    from aiml3d_desktop.core.common.errors import InputError

    model = models.get(args.model or models.TRIPOSR.id)
    if model.takes == models.MESH:
        raise InputError(f"{model.id} splits a mesh: use `aiml3d parts SOURCE`")
    values: dict = {}
    triposr_flags = [args.format, args.no_remove_bg or None, args.foreground_ratio]
    if model is models.TRIPOSR:
        defaults = conf.params
        values = (
            TriposrParams(
                output_format=args.format or defaults.output_format,
                do_remove_background=False if args.no_remove_bg else defaults.do_remove_background,
                foreground_ratio=_pick(args.foreground_ratio, defaults.foreground_ratio),
                mc_resolution=_pick(args.mc_resolution, defaults.mc_resolution),
            )
            .validate()
            .as_dict()
        )
    elif any(flag is not None for flag in [*triposr_flags, args.mc_resolution]):
        raise InputError(
            f"--format, --no-remove-bg, --foreground-ratio and --mc-resolution are TripoSR's; "
            f"give {model.title}'s parameters with --param KEY=VALUE"
        )
    values.update(model.parse(args.param))
    params = models.ModelParams(model.id, values).validate()
    for warning in params.warnings:
        print(f"aiml3d: note: {warning}", file=sys.stderr)
    return params


def _drawing(args: argparse.Namespace, params: ModelParams, views: dict[str, str]) -> dict:
    """--draw-views SIDES [--edit-model MODEL]: the draw_options that draw them."""
    from aiml3d_desktop.core.api import models
    from aiml3d_desktop.core.api.params import EDIT_MODEL
    from aiml3d_desktop.core.common import fileio
    from aiml3d_desktop.core.common.errors import InputError
    from aiml3d_desktop.core.generation.views import parse_sides

    if args.draw_views is None:
        if args.edit_model:
            raise InputError("--edit-model goes with --draw-views")
        return {}
    try:
        sides = parse_sides(args.draw_views)
    except ValueError as exc:
        raise InputError(f"--draw-views: {exc}") from None
    if args.backend == "local":
        raise InputError("--draw-views calls an image-editing model: not with --backend local")
    if params.spec.takes != models.VIEWS:
        multi = [m.id for m in models.MODELS.values() if m.takes == models.VIEWS]
        raise InputError(
            f"{params.model} takes one picture; --draw-views is for {', '.join(multi)}"
        )
    if len(args.inputs) != 1 or args.prompt or fileio.path_kind(args.inputs[0]) == "dir":
        raise InputError("--draw-views goes with exactly one picture (not a folder), the front")
    given = sorted(set(sides) & set(views))
    if given:
        raise InputError(f"the {' and '.join(given)} view is given and to be drawn: choose one")
    return {"views": sides, "edit_model": args.edit_model or EDIT_MODEL}


def _views(args: argparse.Namespace, params: ModelParams) -> dict[str, str]:
    """--view SIDE=PATH: the other views of a multi-view model's one front picture."""
    from aiml3d_desktop.core.api import models
    from aiml3d_desktop.core.common import fileio
    from aiml3d_desktop.core.common.errors import InputError

    if not args.view:
        return {}
    if params.spec.takes != models.VIEWS:
        multi = [m.id for m in models.MODELS.values() if m.takes == models.VIEWS]
        raise InputError(f"{params.model} takes one picture; --view is for {', '.join(multi)}")
    if len(args.inputs) != 1 or args.prompt or fileio.path_kind(args.inputs[0]) == "dir":
        raise InputError("--view goes with exactly one picture (not a folder), the front view")
    views: dict[str, str] = {}
    for given in args.view:
        side, sep, where = given.partition("=")
        side = side.strip().lower()
        if not sep or side not in models.VIEW_NAMES[1:] or not where:
            raise InputError(f"--view {given!r} is not left=, back= or right= a picture")
        if side in views:
            raise InputError(f"the {side} view is given twice")
        views[side] = where
    return views


def _session(args: argparse.Namespace, conf: Settings) -> Session:
    """The run's session: its retry policy, and --max-credits / --max-usd as its limits."""
    from aiml3d_desktop.core.net.policy import RetryPolicy
    from aiml3d_desktop.core.session import Session
    from aiml3d_desktop.core.spending import budget

    session = Session(conf, RetryPolicy(attempts=max(0, args.retries)))
    session.limits = budget.Limits(args.max_credits, args.max_usd)
    return session


def _options(args: argparse.Namespace, session: Session) -> jobs.JobOptions:
    from aiml3d_desktop.core.net.policy import Timeouts

    return session.job_options(
        args.backend or session.conf.backend,
        api_base=args.api_base,
        max_side=args.max_side,
        timeouts=Timeouts(read=args.timeout),
        **({"prepare": False} if args.no_prepare else {}),
    )


def _queue(
    args: argparse.Namespace,
    conf: Settings,
    params: ModelParams,
    options: jobs.JobOptions,
    views: dict[str, str],
    drawing: dict,
) -> tuple[batch.BatchQueue, list[str]]:
    """The window's queue, in memory: a command's batch is its arguments, run again to
    resume. Returns it and the folders that were searched."""
    from aiml3d_desktop.core.common import fileio
    from aiml3d_desktop.core.generation import batch
    from aiml3d_desktop.core.pictures import images

    queue = batch.BatchQueue()
    queued: dict = {
        "params": params.as_dict(),
        "model": params.model,
        "views": views,
        "backend": options.backend,
        "prepare": options.prepare,
        "max_side": options.max_side,
    }
    pictures = [s for s in args.inputs if images.is_url(s) or fileio.path_kind(s) != "dir"]
    folders = [s for s in args.inputs if s not in pictures]
    queue.add(pictures + batch.pictures_in(folders), **queued, draw_options=drawing)
    draw_options = {
        "suffix": _pick(args.prompt_suffix, conf.prompt_suffix),
        "image_model": _pick(args.image_model, conf.image_model),
    }
    queue.add(args.prompt, batch.PROMPT, draw_options=draw_options, **queued)
    return queue, folders


class Maker:
    """Makes one queue item, and says how it went in whole lines (items run in parallel);
    ``bars``: progress bars (one item at a time), else a line per stage."""

    def __init__(
        self,
        lib,
        out_dir: Path | None,
        options: jobs.JobOptions,
        spending: SpendingPolicy,
        quiet: bool = False,
        bars: bool = True,
    ) -> None:
        self.lib, self.out_dir, self.options = lib, out_dir, options
        self.quiet, self.bars = quiet, bars
        self.lock = threading.Lock()
        self.budget = spend.Budget(spending)

    def _note(self, held, call) -> None:
        """Every call, made or failed: against the limits (in place of what its item held),
        and into the library's ledger."""
        self.budget.settle(held, call)
        said = self.lib.record(call) if self.lib is not None else None
        if said:  # the ledger is held by another program: where the call went instead
            with self.lock:
                print(f"aiml3d: warning: {said}", file=sys.stderr)

    def execute(self, item: batch.QueueItem, cancel: CancelToken) -> tuple[str | None, str]:
        from aiml3d_desktop.core.generation import jobs

        held = self.budget.hold(item)  # before anything is sent: the calls in flight count
        options = replace(self.options, record=partial(self._note, held))
        name = _item_name(item)
        reporter = _Reporter(name, quiet=self.quiet, bars=self.bars)
        try:
            entry, result = jobs.generate_item(
                item, self.lib, self.out_dir, options, progress=reporter, cancel=cancel
            )
        finally:
            reporter.close()
            self.budget.release(held)
        where: Path | str = result.mesh_path
        if entry is None:
            copies.write_sidecar(result.mesh_path, copies.metadata(result, result.outputs), name)
        elif self.out_dir is not None:
            where = copies.copy_out(result, self.out_dir, entry.id)
        else:
            where = f"{entry.mesh_path} (library entry {entry.id})"
        stats = result.loaded.stats
        with self.lock:
            notes = result.generation.details.get("output_notes") or []
            for note in [*result.image.notes, *notes]:
                print(f"aiml3d: note: {name}: {note}", file=sys.stderr)
            seconds = result.generation.elapsed_s
            more = f", {len(result.outputs)} more files" if result.outputs else ""
            alike = result.generation.details.get("likeness")
            if alike:
                more += f", outline {alike['silhouette_iou']:.2f} like the photo's"
            print(
                f"{name} -> {where}  ({stats.triangles:,} triangles, "
                f"{mib(stats.file_size)}, {seconds:.1f} s{more})",
                flush=True,
            )
        return (entry.id if entry else None), str(where)

    def on_change(self, item: batch.QueueItem) -> None:
        from aiml3d_desktop.core.generation.batch import FAILED

        if item.status == FAILED:
            with self.lock:
                error(f"{_item_name(item)}: {item.message}")


def _summary(queue: batch.BatchQueue, stopped) -> int:
    from aiml3d_desktop.core.generation import batch

    done, failed = queue.count(batch.DONE), queue.count(batch.FAILED)
    left = queue.count(batch.WAITING)
    if stopped is not None:  # a key or account problem: one message, not one per picture
        error(f"{stopped} ({left} not made)")
    summary = f"{done} of {done + failed + left} done" + (f", {failed} failed" if failed else "")
    print(summary + (f", {left} not started" if left else ""))
    return EXIT_FAILED if failed or left else EXIT_OK


def _item_name(item) -> str:
    from aiml3d_desktop.core.generation.batch import PROMPT

    return f"prompt {item.source!r}" if item.kind == PROMPT else item.source


def _pick(value, default):
    return default if value is None else value


@contextlib.contextmanager
def cancel_on_sigterm(cancel: CancelToken) -> Iterator[None]:
    """While the batch runs, a scheduler's SIGTERM cancels like Ctrl-C: the partial download
    is removed. The handler before is put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        cancel.cancel()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Reporter:
    """Prints each stage once, and a progress bar while downloading (one job at a time only:
    the bars of parallel jobs would overwrite each other)."""

    def __init__(self, source: str, quiet: bool, bars: bool = True) -> None:
        self.source, self.quiet, self.bars = source, quiet, bars
        self.stage: Stage | None = None
        self.bar: Any = None  # a tqdm bar while downloading

    def __call__(self, stage: Stage | RetryNote, done: int | None, total: int | None) -> None:
        if self.quiet:
            return
        if isinstance(stage, RetryNote):  # a wait is never silent
            self.close()
            self.stage = None  # the stage it goes back to is said again
            print(f"{self.source}: {stage.text()}", file=sys.stderr)
            return
        if stage != self.stage:
            self.close()
            self.stage = stage
            if stage is Stage.DOWNLOADING and self.bars:
                from tqdm import tqdm

                self.bar = tqdm(
                    total=total,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=f"{Path(self.source).name}: downloading",
                    leave=False,
                    file=sys.stderr,
                    disable=None,
                )
            elif stage is not Stage.UPLOADING:
                print(f"{self.source}: {LABELS[stage][0].lower()}…", file=sys.stderr)
        if self.bar is not None and done is not None:
            if total and self.bar.total != total:
                self.bar.total = total
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
