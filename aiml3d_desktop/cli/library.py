"""``aiml3d library ...``: the library from the command line (offline, no key needed)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from aiml3d_desktop.cli.output import EXIT_FAILED, EXIT_OK, mib, print_json, warn_all
from aiml3d_desktop.core.common.errors import InputError

# core.library_index.SORTS's keys, not imported from there: that would load the library for
# every command, the hand-over of a file to the running window too (tests/cli checks them).
SORT_KEYS = ("created", "title", "triangles", "size")


def add_parser(sub) -> None:
    from aiml3d_desktop.core.meshes import formats

    lib = sub.add_parser(
        "library",
        help="list, show, export, import or delete kept models",
        description="Every model made or imported is kept in the library "
        "(works offline, no key needed).",
    )
    lib.add_argument(
        "--library",
        type=Path,
        metavar="DIR",
        help="library folder (default: AIML3D_LIBRARY, else the data folder)",
    )
    act = lib.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = act.add_parser("list", help="list entries, newest first")
    ls.add_argument("query", nargs="*", help="words to find in title, tags, notes or source")
    ls.add_argument("--favourite", action="store_true", help="favourites only")
    ls.add_argument(
        "--format",
        dest="fmt",
        choices=[f.key for f in formats.readable()],
        help="mesh format",
    )
    ls.add_argument("--since", metavar="DATE", help="made on or after DATE (YYYY-MM-DD)")
    ls.add_argument("--sort", choices=SORT_KEYS, default="created")
    ls.add_argument("--reverse", action="store_true", help="oldest (or smallest) first")
    ls.add_argument("--limit", type=int, metavar="N")
    ls.add_argument("--json", action="store_true", help="print JSON")
    show = act.add_parser("show", help="everything known about one entry")
    show.add_argument("id", help="entry id (a unique prefix is enough)")
    show.add_argument("--json", action="store_true", help="print JSON")
    exp = act.add_parser(
        "export", help=f"write an entry's mesh as {formats.names(formats.writable())}"
    )
    exp.add_argument("id")
    exp.add_argument("out", type=Path, help="output file; its extension picks the format")
    exp.add_argument(
        "--version", type=int, metavar="N", help="a version of it (1 is the first; see show)"
    )
    exp.add_argument(
        "--file",
        metavar="NAME",
        help='copy one of the files the model came with as it is (fbx, usdz, "texture '
        "base_color 1\", thumbnail... or a version's file name; see show)",
    )
    exp.add_argument("--part", type=int, metavar="N", help="only part N (1 is the first)")
    rm = act.add_parser("delete", help="move entries to the trash (restorable for 30 days)")
    rm.add_argument("ids", nargs="+", metavar="ID")
    rs = act.add_parser("restore", help="bring deleted entries back from the trash")
    rs.add_argument("ids", nargs="+", metavar="ID")
    act.add_parser("rebuild", help="recreate the index from the entry folders")
    check = act.add_parser(
        "check", help="list entries whose entry.json is damaged or whose mesh is missing"
    )
    check.add_argument(
        "--repair",
        action="store_true",
        help="write fields that fell back to defaults back that way (the old "
        "entry.json is kept as entry.json.before-repair)",
    )
    check.add_argument("--json", action="store_true", help="print JSON")
    imp = act.add_parser("import", help="copy mesh files into the library")
    imp.add_argument("files", nargs="+", type=Path, metavar="MESH")
    imp.add_argument("--title", help="title (default: the file name)")
    imp.add_argument("--json", action="store_true", help="print the new entries as JSON")


def run(args) -> int:
    from aiml3d_desktop.core import settings
    from aiml3d_desktop.core.library.store import Library

    conf, warnings = settings.load()
    lib = Library(args.library or conf.library_path)
    if args.action != "check":  # check says all that is wrong in its own words
        warn_all(warnings + lib.warnings)
    try:
        return ACTIONS[args.action](lib, args)
    finally:
        lib.close()


def _list(lib, args) -> int:
    entries = lib.list(
        " ".join(args.query),
        favourite=True if args.favourite else None,
        fmt=args.fmt,
        since=args.since,
        sort=args.sort,
        descending=not args.reverse,
        limit=args.limit,
    )
    if args.json:
        print_json([_entry_json(e) for e in entries])
        return EXIT_OK
    for e in entries:
        stats = e.stats or {}
        flags = ("*" if e.favourite else " ") + ("!" if e.missing else " ")
        print(
            f"{e.id}  {flags} {e.created[:16].replace('T', ' ')}  "
            f"{stats.get('triangles') or 0:>10,} tris  {e.format:<4} {e.title}"
        )
    print(f"{len(entries)} of {lib.count()} entries", file=sys.stderr)
    return EXIT_OK


def _show(lib, args) -> int:
    entry = _entry_json(lib.get(args.id))
    if args.json:
        print_json(entry)
    for key, value in [] if args.json else entry.items():
        if key == "versions":
            for number, version in enumerate(value, 1):
                count = f"{version['triangles']:,} triangles, " if version["triangles"] else ""
                print(f"{'version ' + str(number):<14} {version['label']}: {count}"
                      f"{', '.join(version['files'])} ({version['created'][:16]})")  # fmt: skip
        elif key == "outputs":
            for out in value:
                size = f" ({mib(out['size'])})" if out["size"] is not None else ""
                print(f"{'file ' + out['role']:<22} {out['file']}{size}")
        elif value not in (None, "", [], {}):
            print(f"{key:<14} {value}")
    return EXIT_OK


def _export(lib, args) -> int:
    from aiml3d_desktop.cli.destinations import check_outputs
    from aiml3d_desktop.core.meshes import mesh

    entry = lib.get(args.id)
    check_outputs([args.out], entry.mesh_path, "export", lib.root)
    path, version = entry.mesh_path, None
    if args.version is not None:
        versions = entry.version_list()
        if not 1 <= args.version <= len(versions):
            raise InputError(
                f"{entry.title} has no version {args.version}",
                hint=f"It has {len(versions)}: `aiml3d library show {entry.id}` lists them.",
            )
        version = versions[args.version - 1]
        path = version.mesh_path
    if args.file is not None:
        return _export_file(entry, version if args.version else None, args)
    loaded = mesh.load(path)
    if args.part is not None:
        from aiml3d_desktop.core.meshes import formats

        shapes = loaded.scene.primitives
        if not 1 <= args.part <= len(shapes):
            raise InputError(f"{path.name} has {len(shapes)} parts, not {args.part}")
        part = replace(loaded.scene, primitives=[shapes[args.part - 1]])
        out = formats.write(part, args.out)[-1]  # the part, never the whole file copied
        print(f"wrote {out}")
        return EXIT_OK
    out = mesh.export(loaded, args.out)
    print(f"wrote {out}")
    return EXIT_OK


def _export_file(entry, version, args) -> int:
    """One of the files a model came with (Meshy's FBX...) or a version holds, copied."""
    from aiml3d_desktop.core.common.fileio import copy_atomic

    try:
        if version is not None:
            if args.file not in version.files:
                raise KeyError(args.file)
            path = version.folder / args.file
        else:
            path = entry.output(args.file)
    except KeyError:
        kept = list(version.files) if version else [o["role"] for o in entry.outputs]
        raise InputError(
            f"{entry.title} has no file {args.file!r}",
            hint=f"It has: {', '.join(kept) or 'none'}.",
        ) from None
    if not path.is_file():
        raise InputError(
            f"{path.name} is missing from {entry.title}'s folder",
            hint="It was deleted by hand; `aiml3d library check` lists what is missing.",
        )
    try:
        copy_atomic(path, args.out)
    except OSError as exc:
        raise InputError(f"Could not write {args.out}: {exc.strerror or exc}") from None
    print(f"wrote {args.out}")
    return EXIT_OK


def _delete(lib, args) -> int:
    for entry_id in args.ids:
        entry = lib.delete(entry_id)
        print(f"deleted {entry.id} {entry.title}")
    print("restore with: aiml3d library restore ID", file=sys.stderr)
    return EXIT_OK


def _restore(lib, args) -> int:
    for entry_id in args.ids:
        entry = lib.restore(entry_id)
        print(f"restored {entry.id} {entry.title}")
    return EXIT_OK


def _rebuild(lib, args) -> int:
    print(f"the index holds {lib.rebuild()} entries")
    return EXIT_OK


def _import(lib, args) -> int:
    entries = [lib.import_mesh(path, args.title) for path in args.files]
    if args.json:
        print_json([_entry_json(e) for e in entries])
    for e in [] if args.json else entries:
        print(f"imported {e.id} {e.title}")
    return EXIT_OK


def _check(lib, args) -> int:
    """Exit 0 when every entry is whole (or was repaired), 1 when some are not."""
    found = lib.check(repair=args.repair)
    if args.json:
        print_json(
            [
                {"folder": name, "state": state, "problems": problems}
                for name, state, problems in found
            ]
        )
    else:
        for name, state, problems in found:
            print(f"{name}  {state}: {'; '.join(problems)}")
        print(
            f"{len(found)} entr{'y' if len(found) == 1 else 'ies'} with problems, of "
            f"{lib.count()} in the index",
            file=sys.stderr,
        )
        if any(state == "repairable" for _, state, _ in found):
            print("repair with: aiml3d library check --repair", file=sys.stderr)
    return EXIT_OK if all(state == "repaired" for _, state, _ in found) else EXIT_FAILED


ACTIONS = {
    "list": _list,
    "show": _show,
    "export": _export,
    "delete": _delete,
    "restore": _restore,
    "rebuild": _rebuild,
    "import": _import,
    "check": _check,
}


def _entry_json(entry) -> dict:
    return {
        **entry.to_json(),
        "folder": str(entry.folder),
        "mesh_path": str(entry.mesh_path),
        "missing": entry.missing,
    }
