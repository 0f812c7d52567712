"""The files ``aiml3d generate`` writes outside the library: a copy of each model (and
of the files it came with) in ``-o DIR``, and the ``.json`` of its metadata beside it."""

from __future__ import annotations

from pathlib import Path

from aiml3d_desktop.cli.output import error


def copy_out(result, out_dir: Path, entry_id: str) -> Path:
    """A copy of a library result in ``out_dir``, never overwriting, with its .json."""
    from aiml3d_desktop.core.common.errors import STORAGE_HINT, InputError
    from aiml3d_desktop.core.common.fileio import copy_atomic, unique_path

    out_dir = Path(out_dir)
    src = result.mesh_path
    dest = unique_path(out_dir, src.stem, src.suffix)
    copied = []
    try:
        copy_atomic(src, dest)
        for out in result.outputs:  # the further files, named after the copy
            name = out["file"].replace(src.stem, dest.stem, 1)
            there = unique_path(out_dir, *_split_name(name))
            copy_atomic(src.parent / out["file"], there)
            copied.append({**out, "file": there.name})
    except OSError as exc:
        raise InputError(
            f"The model is kept in the library (entry {entry_id}) but could not "
            f"be copied to {out_dir}: {exc.strerror or exc}",
            hint=STORAGE_HINT,
        ) from None
    write_sidecar(dest, metadata(result, copied), str(src))
    return dest


def _split_name(name: str) -> tuple[str, str]:
    stem, dot, suffix = name.rpartition(".")
    return (stem, f".{suffix}") if dot else (name, "")


def metadata(result, outputs: list[dict]) -> dict:
    """What goes in the .json beside a mesh: the generation, and the further files."""
    return {**result.generation.as_dict(), **({"outputs": outputs} if outputs else {})}


def write_sidecar(mesh_path: Path, metadata: dict, source: str) -> None:
    from aiml3d_desktop.core.common.fileio import write_json

    try:
        write_json(mesh_path.with_name(mesh_path.name + ".json"), metadata)
    except OSError as exc:
        error(f"{source}: the mesh is saved, but not its metadata: {exc.strerror or exc}")
