"""The ``aiml3d`` command: the GUI by default, and commands for scripted and batch work."""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from aiml3d_desktop import APP_NAME, __version__, cli_library
from aiml3d_desktop.cli_library import print_json
from aiml3d_desktop.core.stages import Stage

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

EPILOG = """\
The API key comes from the AIMLAPI_KEY environment variable, else from the OS keychain
(save it there with `aiml3d key set`). The API base URL comes from --api-base, else
AIML_API_BASE, else the settings file.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aiml3d",
        description=f"{APP_NAME}: turn pictures into 3D models with the AIML API (TripoSR). "
        "Without a command, the desktop app starts.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"aiml3d {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gen = sub.add_parser(
        "generate",
        help="make 3D models from pictures through the AIML API",
        description="Send each picture (a PNG/JPEG/WEBP file, a folder of them, or an http(s) "
        "link) to TripoSR through the batch queue, and keep each mesh with what the API "
        "reported. A failed item does not stop the others.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    gen.add_argument("inputs", nargs="*", metavar="IMAGE_OR_URL",
                     help="picture files, links, or folders of pictures")  # fmt: skip
    gen.add_argument(
        "-j", "--jobs", type=int, default=2, metavar="N",
        help="make N models at once (1 to 8, default 2); a rate-limit answer to one "
        "slows them all",
    )  # fmt: skip
    gen.add_argument(
        "--prompt", action="append", default=[], metavar="TEXT",
        help="text to 3D: a picture model draws TEXT, then TripoSR makes the mesh (repeatable)",
    )  # fmt: skip
    gen.add_argument("--prompt-suffix", metavar="TEXT",
                     help="added to each prompt (default: as in the settings, which ask for one "
                     "object on a plain background)")  # fmt: skip
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
        "--backend", choices=("aiml", "local"),
        help="aiml: TripoSR through the AIML API (the default); local: a quick relief preview "
        "made on this computer, with no key and no network (not TripoSR)",
    )  # fmt: skip
    gen.add_argument("--format", choices=("glb", "obj"), help="mesh format (default glb)")
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
        "--no-prepare", action="store_true",
        help="send pictures as they are (by default a local picture is cropped to the object "
        "and padded to a square the object fills to the foreground ratio)",
    )  # fmt: skip
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
    gen.add_argument("-q", "--quiet", action="store_true", help="print only the summary")

    info = sub.add_parser("info", help="print a mesh file's statistics")
    info.add_argument("mesh", type=Path, metavar="MESH")
    info.add_argument("--json", action="store_true", help="print JSON")

    conv = sub.add_parser("convert", help="convert a mesh to GLB, OBJ, STL or PLY")
    conv.add_argument("mesh", type=Path, metavar="MESH")
    conv.add_argument(
        "out", type=Path, metavar="OUT", help="output file; its extension picks the format"
    )

    view = sub.add_parser("view", help="open a mesh file in the desktop app")
    view.add_argument("mesh", type=Path, metavar="MESH")

    key = sub.add_parser("key", help="save, check or remove the API key in the OS keychain")
    key.add_argument("action", choices=("set", "status", "delete"))
    cli_library.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] not in (*COMMANDS, "view") and not argv[0].startswith("-"):
        # `aiml3d model.glb`, `aiml3d photo.png`, a folder or a link: open them in the app.
        from aiml3d_desktop.core.fileio import path_kind
        from aiml3d_desktop.core.netpolicy import is_url

        missing = [a for a in argv if not is_url(a) and path_kind(a) is None]
        if missing:
            _error(f"{missing[0][:120]!r} is neither a command nor a file or folder "
                   f"(commands: {', '.join(COMMANDS)}, view; see aiml3d --help)")  # fmt: skip
            return EXIT_USAGE
        from aiml3d_desktop.gui.app import run

        return run(argv)
    args = build_parser().parse_args(argv)
    # The log file has it all (tracebacks included); the console gets one line per error,
    # and core's warnings through the lists it returns, printed once.
    from aiml3d_desktop import logfile

    logfile.setup()
    from aiml3d_desktop.core.errors import Aiml3DError

    try:
        if args.command is None or args.command == "view":
            from aiml3d_desktop.gui.app import run

            return run([str(args.mesh)] if args.command == "view" else [])
        return COMMANDS[args.command](args)
    except Aiml3DError as exc:
        _error(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED


def _error(message: str) -> None:
    print(f"aiml3d: error: {message}", file=sys.stderr)


def _warn_all(warnings: list[str]) -> None:
    """Warnings collected by core (damaged settings, a repaired library), each printed once:
    core also logs them, but the console shows only errors (see main())."""
    for warning in warnings:
        print(f"aiml3d: warning: {warning}", file=sys.stderr)


def cmd_generate(args) -> int:
    from aiml3d_desktop.core import batch, fileio, images, jobs, keys, settings
    from aiml3d_desktop.core.cancel import CancelToken
    from aiml3d_desktop.core.library import Library
    from aiml3d_desktop.core.netpolicy import RetryPolicy, Timeouts
    from aiml3d_desktop.core.params import TriposrParams

    conf, warnings = settings.load()
    _warn_all(warnings)
    defaults = conf.params
    params = TriposrParams(
        output_format=args.format or defaults.output_format,
        do_remove_background=False if args.no_remove_bg else defaults.do_remove_background,
        foreground_ratio=_pick(args.foreground_ratio, defaults.foreground_ratio),
        mc_resolution=_pick(args.mc_resolution, defaults.mc_resolution),
    ).validate()
    for warning in params.warnings:
        print(f"aiml3d: note: {warning}", file=sys.stderr)
    options = jobs.JobOptions.from_settings(
        conf,
        keys.get_key(),
        api_base=args.api_base,
        max_side=args.max_side,
        timeouts=Timeouts(read=args.timeout),
        retry=RetryPolicy(attempts=max(0, args.retries)),
        backend=args.backend or conf.backend,
        **({"prepare": False} if args.no_prepare else {}),
    )
    if not args.inputs and not args.prompt:
        _error("give pictures, links, folders or --prompt TEXT")
        return EXIT_USAGE
    if not 1 <= args.jobs <= batch.MAX_JOBS:
        _error(f"--jobs must be 1 to {batch.MAX_JOBS}")
        return EXIT_USAGE
    low, high = images.MAX_SIDE_RANGE
    if args.max_side is not None and not low <= args.max_side <= high:
        _error(f"--max-side must be {low} to {high} pixels")
        return EXIT_USAGE
    out_dir = args.output_dir or (conf.output_path if args.no_library else None)
    if out_dir is not None:
        problem = fileio.writable(Path(out_dir))
        if problem:
            _error(f"cannot write to {out_dir}: {problem}")
            return EXIT_FAILED
        fileio.sweep_partials(Path(out_dir))  # what a killed earlier run left there
    lib = None if args.no_library else Library(conf.library_path)
    _warn_all(lib.warnings if lib else [])
    # The GUI's queue, in memory: a command's batch is its arguments, re-run to resume.
    queue = batch.BatchQueue()
    queued: dict = {"params": params.as_dict(), "backend": options.backend,
                    "prepare": options.prepare, "max_side": options.max_side}  # fmt: skip
    pictures = [s for s in args.inputs if images.is_url(s) or fileio.path_kind(s) != "dir"]
    folders = [s for s in args.inputs if s not in pictures]
    queue.add(pictures + batch.pictures_in(folders), **queued)
    draw_options = {"suffix": _pick(args.prompt_suffix, conf.prompt_suffix),
                    "image_model": _pick(args.image_model, conf.image_model)}  # fmt: skip
    queue.add(args.prompt, batch.PROMPT, draw_options=draw_options, **queued)
    if folders and not queue.count(batch.WAITING):
        _error(f"no pictures (PNG, JPEG, WEBP) in {', '.join(folders)}")
        return EXIT_FAILED
    cancel = CancelToken()
    _cancel_on_sigterm(cancel)
    lock = threading.Lock()  # whole lines from parallel jobs

    def execute(item, cancel) -> tuple[str | None, str]:
        name = _item_name(item)
        reporter = _Reporter(name, quiet=args.quiet, bars=args.jobs == 1)
        try:
            entry, result = jobs.generate_item(item, lib, out_dir, options, progress=reporter,
                                               cancel=cancel)  # fmt: skip
        finally:
            reporter.close()
        where: Path | str = result.mesh_path
        if entry is None:
            _write_sidecar(result.mesh_path, result.generation.as_dict(), name)
        elif out_dir is not None:
            where = _copy_out(result, out_dir, entry.id)
        else:
            where = f"{entry.mesh_path} (library entry {entry.id})"
        stats = result.loaded.stats
        with lock:
            for note in result.image.notes:
                print(f"aiml3d: note: {name}: {note}", file=sys.stderr)
            seconds = result.generation.elapsed_s
            print(f"{name} -> {where}  ({stats.triangles:,} triangles, "
                  f"{_mib(stats.file_size)}, {seconds:.1f} s)", flush=True)  # fmt: skip
        return (entry.id if entry else None), str(where)

    def on_change(item) -> None:
        if item.status == batch.FAILED:
            with lock:
                _error(f"{_item_name(item)}: {item.message}")

    stopped = batch.run(queue, execute, jobs=args.jobs, cancel=cancel, on_change=on_change)
    if cancel.cancelled or queue.count(batch.CANCELLED):
        raise KeyboardInterrupt  # SIGTERM: reported and exited like Ctrl-C
    done, failed = queue.count(batch.DONE), queue.count(batch.FAILED)
    left = queue.count(batch.WAITING)
    if stopped is not None:  # a key or account problem: one message, not one per picture
        _error(f"{stopped} ({left} not made)")
    summary = f"{done} of {done + failed + left} done" + (f", {failed} failed" if failed else "")
    print(summary + (f", {left} not started" if left else ""))
    return EXIT_FAILED if failed or left else EXIT_OK


def _item_name(item) -> str:
    from aiml3d_desktop.core.batch import PROMPT

    return f"prompt {item.source!r}" if item.kind == PROMPT else item.source


def _copy_out(result, out_dir: Path, entry_id: str) -> Path:
    """A copy of a library result in ``out_dir``, never overwriting, with its .json."""
    from aiml3d_desktop.core.errors import STORAGE_HINT, InputError
    from aiml3d_desktop.core.fileio import atomic_path, unique_path

    out_dir = Path(out_dir)
    src = result.mesh_path
    dest = unique_path(out_dir, src.stem, src.suffix)
    try:
        with atomic_path(dest) as tmp:
            shutil.copyfile(src, tmp)
    except OSError as exc:
        raise InputError(f"The model is kept in the library (entry {entry_id}) but could not "
                         f"be copied to {out_dir}: {exc.strerror or exc}",
                         hint=STORAGE_HINT) from None  # fmt: skip
    _write_sidecar(dest, result.generation.as_dict(), str(src))
    return dest


def _write_sidecar(mesh_path: Path, metadata: dict, source: str) -> None:
    from aiml3d_desktop.core.fileio import write_json

    try:
        write_json(mesh_path.with_name(mesh_path.name + ".json"), metadata)
    except OSError as exc:
        _error(f"{source}: the mesh is saved, but not its metadata: {exc.strerror or exc}")


def _pick(value, default):
    return default if value is None else value


def _mib(size: int | None) -> str:
    return f"{(size or 0) / 2**20:.2f} MiB"


def _cancel_on_sigterm(cancel) -> None:
    """A scheduler's SIGTERM cancels like Ctrl-C: the partial download is removed."""
    if threading.current_thread() is threading.main_thread():

        def handler(signum, frame):
            cancel.cancel()
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, handler)


class _Reporter:
    """Prints each stage once, and a progress bar while downloading (one job at a time only:
    the bars of parallel jobs would overwrite each other)."""

    def __init__(self, source: str, quiet: bool, bars: bool = True) -> None:
        self.source, self.quiet, self.bars = source, quiet, bars
        self.stage: str | None = None
        self.bar: Any = None  # a tqdm bar while downloading

    def __call__(self, stage: Stage, done: int | None, total: int | None) -> None:
        if self.quiet:
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
                print(f"{self.source}: {stage}...", file=sys.stderr)
        if self.bar is not None and done is not None:
            if total and self.bar.total != total:
                self.bar.total = total
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def cmd_info(args) -> int:
    from aiml3d_desktop.core import mesh

    loaded = mesh.load(args.mesh)
    info = {
        "file": str(args.mesh),
        "format": mesh.file_type_of(args.mesh),
        **loaded.stats.as_dict(),
        "colours": _colour_kind(loaded.arrays),
    }
    if args.json:
        print_json(info)
        return EXIT_OK
    sx, sy, sz = info["size"]
    rows = [
        ("File", f"{args.mesh} ({info['format'].upper()}, {_mib(info['file_size'])})"),
        ("Vertices", f"{info['vertices']:,}"),
        ("Triangles", f"{info['triangles']:,}"),
        ("Size", f"{sx:.4g} x {sy:.4g} x {sz:.4g}"),
        ("Watertight", "yes" if info["watertight"] else "no"),
        ("Parts", str(info["parts"])),
        ("Colours", info["colours"]),
    ]
    for label, value in rows:
        print(f"{label:<11} {value}")
    return EXIT_OK


def _colour_kind(arrays) -> str:
    if arrays.texture is not None:
        h, w = arrays.texture.shape[:2]
        return f"texture {w}x{h}"
    return "per-vertex" if arrays.colors is not None else "none"


def cmd_convert(args) -> int:
    from aiml3d_desktop.core import mesh

    out = mesh.export(mesh.load(args.mesh).mesh, args.out)
    print(f"wrote {out}")
    return EXIT_OK


def cmd_key(args) -> int:
    from aiml3d_desktop.core import keys

    if args.action == "status":
        source = keys.key_source()
        print(
            {
                "environment": f"using {keys.ENV_VAR} from the environment",
                "keychain": "a key is saved in the OS keychain",
                "none": "no key is set",
            }.get(source, source)
            + (f" ({keys.mask(keys.get_key())})" if source != "none" else "")
        )
        return EXIT_OK
    if args.action == "delete":
        removed = keys.delete_key()
        print({"keychain": "the key was removed from the OS keychain",
               "session": "the key kept for this session was forgotten",
               "none": "no key was saved in the OS keychain"}[removed])  # fmt: skip
        if os.environ.get(keys.ENV_VAR, "").strip():
            print(f"{keys.ENV_VAR} is still set in the environment, and is still used")
        return EXIT_OK
    key = getpass.getpass("AIML API key: ") if sys.stdin.isatty() else sys.stdin.readline()
    where = keys.set_key(key)
    if where == "session":
        _error(
            "this machine has no OS keychain, so the key cannot be saved; "
            f"set {keys.ENV_VAR} in the environment instead"
        )
        return EXIT_FAILED
    print("the key is saved in the OS keychain")
    return EXIT_OK


COMMANDS = {"generate": cmd_generate, "info": cmd_info, "convert": cmd_convert, "key": cmd_key,
            "library": cli_library.run}  # fmt: skip
