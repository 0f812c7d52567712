"""One library entry: what ``entry.json`` holds, and where the entry's files are.

``entry.json`` can be edited by hand, copied from another version or half-repaired by a
sync tool, so reading it checks every field: a field of the wrong type falls back to its
default and is reported (``Entry.problems``), and only an entry without a usable id or mesh
file name is refused (``EntryError``).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from aiml3d_desktop.core.common.fileio import path_kind

ENTRY_FILE = "entry.json"
THUMBNAIL = "thumbnail.png"
SCENE_KIND = "scene"  # the source_kind of a composed scene (core/composition/in_library.py)


@dataclass
class Entry:
    """One model and what is known of it; ``entry.json`` holds these fields."""

    id: str
    created: str  # ISO 8601, UTC
    title: str
    mesh_file: str  # file names inside the entry's folder
    source_kind: str = "file"  # file, url, prompt, import, or scene (SCENE_KIND)
    source: str = ""
    source_file: str | None = None
    uploaded_file: str | None = None
    model: str | None = None
    params: dict | None = None
    request_id: str | None = None
    timings: dict | None = None
    credits: float | None = None
    stats: dict | None = None
    tags: list[str] = field(default_factory=list)
    notes: str = ""
    favourite: bool = False
    extra: dict = field(default_factory=dict)  # the rest of the generation's metadata
    # Prepared versions (core/assets), oldest first; the original mesh is never changed.
    versions: list[dict] = field(default_factory=list)
    # Further files the model's answer listed ({role, file, size, server_name}): Meshy's FBX,
    # USDZ, textures...; exported as they are.
    outputs: list[dict] = field(default_factory=list)
    # Kept as a string: making 10,000 Path objects is a good part of opening the browser.
    _folder: str = field(default="", compare=False, repr=False)
    # What was wrong in entry.json when it was read (fields that fell back to defaults).
    problems: list[str] = field(default_factory=list, compare=False, repr=False)

    @property
    def folder(self) -> Path:
        return Path(self._folder)

    @folder.setter
    def folder(self, value: str | Path) -> None:
        self._folder = str(value)

    @property
    def mesh_path(self) -> Path:
        return self.folder / self.mesh_file

    @property
    def source_path(self) -> Path | None:
        return self.folder / self.source_file if self.source_file else None

    def view_path(self, side: str) -> Path | None:
        """A multi-view model's ``side`` view, as the entry keeps it (not a link: see links)."""
        views = self.extra.get("view_files")
        name = views.get(side) if isinstance(views, dict) else None
        if not isinstance(name, str) or not _own(name) or os.path.islink(self.folder / name):
            return None
        return self.folder / name

    @property
    def uploaded_path(self) -> Path | None:
        """The picture as it was sent (prepared), when it was kept."""
        return self.folder / self.uploaded_file if self.uploaded_file else None

    @property
    def thumbnail_path(self) -> Path:
        return self.folder / THUMBNAIL

    @property
    def format(self) -> str:
        return Path(self.mesh_file).suffix.lstrip(".").lower()

    @property
    def is_scene(self) -> bool:
        """A composed scene: its file is a scene.json, not a mesh."""
        return self.source_kind == SCENE_KIND

    @property
    def missing(self) -> bool:
        """The mesh file has gone (deleted by hand): shown as missing, never a crash."""
        return path_kind(self.mesh_path) != "file"

    def links(self) -> list[str]:
        """What of the entry's own files and folders is a symbolic link ("mesh.glb -> /x").
        The library follows none: a link in a synced or unpacked library could make an
        export copy out a private file, or a new version be written anywhere."""
        names = [ENTRY_FILE, THUMBNAIL, self.mesh_file, VERSIONS]
        names += [n for n in (self.source_file, self.uploaded_file) if n]
        names += [out["file"] for out in self.outputs]
        views = self.extra.get("view_files")
        names += [n for n in (views.values() if isinstance(views, dict) else ()) if _own(n)]
        for version in self.versions:
            names.append(f"{VERSIONS}/{version['id']}")
            names += [f"{VERSIONS}/{version['id']}/{name}" for name in version["files"]]
        found = [""] if os.path.islink(self._folder) else []  # the folder itself
        found += [name for name in dict.fromkeys(names) if os.path.islink(self.folder / name)]
        return [
            f"{name or self.folder.name} -> {_link_target(self.folder / name)}" for name in found
        ]

    def output(self, role: str) -> Path:
        """One of the further files, by its role (or file name)."""
        for out in self.outputs:
            if role in (out["role"], out["file"]):
                return self.folder / out["file"]
        raise KeyError(role)

    def version_list(self) -> list[Version]:
        return [Version.of(v, self.folder) for v in self.versions]

    @property
    def is_version(self) -> bool:
        return self.mesh_file.startswith(VERSIONS + "/")

    def as_version(self, version: Version) -> Entry:
        """This entry seen through one of its versions: its mesh file and title, so that
        opening, comparing and exporting take a version as they take an entry."""
        return replace(
            self,
            title=f"{self.title} · {version.label}",
            mesh_file=f"{VERSIONS}/{version.id}/{version.mesh_file}",
            stats={"triangles": version.triangles} if version.triangles else None,
            versions=[],
        )

    def version(self, version_id: str) -> Version:
        for version in self.version_list():
            if version.id == version_id:
                return version
        raise KeyError(version_id)

    def to_json(self) -> dict:
        data = asdict(self)
        del data["_folder"], data["problems"]
        return data

    @classmethod
    def from_json(cls, data: object, folder: str | Path) -> Entry:
        """An entry from what ``entry.json`` (or the index) holds. Fields of the wrong type
        take their defaults and are listed in ``entry.problems``; an entry that cannot be
        used at all raises EntryError."""
        entry, problems = _checked(data)
        entry.folder = folder
        entry.problems = problems
        return entry


VERSIONS = "versions"  # the entry's sub-folder holding one folder per version


@dataclass
class Version:
    """A prepared copy of an entry's model: its files in ``versions/<id>/``."""

    id: str
    created: str
    label: str  # what was done: the preset's name or the steps
    mesh_file: str  # the file shown and compared (GLB, or the first file written)
    files: list[str]
    triangles: int | None = None
    report: list[str] = field(default_factory=list)
    recipe: dict = field(default_factory=dict)
    folder: Path = Path()

    @property
    def mesh_path(self) -> Path:
        return self.folder / self.mesh_file

    def as_json(self) -> dict:
        data = asdict(self)
        del data["folder"]
        return data

    @classmethod
    def of(cls, data: dict, entry_folder: Path) -> Version:
        return cls(**data, folder=entry_folder / VERSIONS / data["id"])


def _checked_versions(values: list) -> tuple[list[dict], list[str]]:
    """The versions that can be used: each an object naming plain files inside its own
    folder (a hand-edited ``../`` cannot reach outside the entry)."""
    kept, problems = [], []
    for data in values:
        files = data.get("files") if isinstance(data, dict) else None
        ok = (
            isinstance(data, dict)
            and all(_plain_name(data.get(k)) for k in ("id", "mesh_file"))
            and isinstance(files, list)
            and all(_plain_name(f) for f in files)
        )
        if not ok or not isinstance(files, list):  # (the second for mypy)
            problems.append("a version that names no usable files was left out")
            continue
        report = data.get("report")
        kept.append(
            {
                "id": data["id"],
                "created": _text(data.get("created")),
                "label": _text(data.get("label")),
                "mesh_file": data["mesh_file"],
                "files": list(files),
                "triangles": data["triangles"] if _fits(data.get("triangles"), (int,)) else None,
                "report": [x for x in report if isinstance(x, str)]
                if isinstance(report, list)
                else [],
                "recipe": data["recipe"] if isinstance(data.get("recipe"), dict) else {},
            }
        )
    return kept, problems


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


class EntryError(ValueError):
    """An ``entry.json`` that cannot describe an entry (not an object, no id, no mesh)."""


_NUMBER = (int, float)
# Each field's accepted types and its default; None in the types means null is allowed.
_SCHEMA: dict[str, tuple[tuple, object]] = {
    "source_kind": ((str,), "file"),
    "source": ((str,), ""),
    "source_file": ((str, None), None),
    "uploaded_file": ((str, None), None),
    "model": ((str, None), None),
    "params": ((dict, None), None),
    "request_id": ((str, None), None),
    "timings": ((dict, None), None),
    "credits": (_NUMBER + (None,), None),
    "stats": ((dict, None), None),
    "tags": ((list,), []),
    "notes": ((str,), ""),
    "favourite": ((bool,), False),
    "extra": ((dict,), {}),
    "versions": ((list,), []),
    "outputs": ((list,), []),
}
_STATS: dict[str, tuple] = {
    "vertices": (int,),
    "triangles": (int,),
    "parts": (int,),
    "file_size": (int, None),
    "watertight": (bool,),
    "size": (list,),
}
_SURROGATE = re.compile("[\ud800-\udfff]")  # json joins pairs: any left is alone
_CREATED = re.compile(r"^\d{4}-\d\d-\d\d")


# The integers SQLite can hold: a bigger one in a hand-edited file would stop the index.
_INT_RANGE = (-(2**63), 2**63 - 1)


def _fits(value: object, types: tuple) -> bool:
    if value is None:
        return None in types
    if isinstance(value, bool):
        return bool in types  # JSON true is not a number here
    if isinstance(value, int) and not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False  # NaN and Infinity: Python's json reads them, nothing can use them
    return isinstance(value, tuple(t for t in types if t is not None))


def without_surrogates(data: Any) -> Any:
    """``data`` with every lone surrogate (a JSON escape such as \\ud800, which no UTF-8
    file or SQLite text can hold) replaced by U+FFFD. Called only when the text has such
    an escape: walking every entry would slow a rebuild of 10,000 entries."""
    if isinstance(data, str):
        return _SURROGATE.sub("\ufffd", data)
    if isinstance(data, list):
        return [without_surrogates(v) for v in data]
    if isinstance(data, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in data.items()}
    return data


def _plain_name(value: object) -> bool:
    """A file name alone: no folders, no NUL, not only dots, short enough for any disk."""
    return (
        isinstance(value, str)
        and bool(value.strip(". "))
        and len(value.encode()) <= 255
        and not re.search(r"[\\/\0]", value)
    )


def _checked(data: object) -> tuple[Entry, list[str]]:
    if not isinstance(data, dict):
        raise EntryError(f"it holds a JSON {type(data).__name__}, not an object")
    if not isinstance(data.get("id"), str) or not data["id"]:
        raise EntryError("it has no id")
    if not _plain_name(data.get("mesh_file")):
        raise EntryError(f"its mesh_file {data.get('mesh_file')!r} is not a file name")
    problems: list[str] = []
    values = {"id": data["id"], "mesh_file": data["mesh_file"]}
    for name, (types, default) in _SCHEMA.items():
        value = data.get(name, default)
        if not _fits(value, types):
            problems.append(f"{name} is {_json_type(value)}, expected {_type_names(types)}")
            value = default
        values[name] = value.copy() if isinstance(value, list | dict) else value
    for name in ("source_file", "uploaded_file"):
        if values[name] is not None and not _plain_name(values[name]):
            problems.append(f"{name} {values[name]!r} is not a file name")
            values[name] = None
    values["versions"], version_problems = _checked_versions(values["versions"])
    problems += version_problems
    listed = values["outputs"]  # a list here (a wrong type fell back to [] above)
    values["outputs"] = [
        {
            "role": _text(o.get("role")) or o["file"],
            "file": o["file"],
            "size": o["size"] if _fits(o.get("size"), (int,)) else None,
            "server_name": o["server_name"] if isinstance(o.get("server_name"), str) else None,
        }
        for o in listed
        if isinstance(o, dict) and _plain_name(o.get("file"))
    ]
    if len(values["outputs"]) != len(listed):
        problems.append("a further file that names no usable file was left out")
    if not all(isinstance(tag, str) for tag in values["tags"]):
        problems.append("tags holds something other than words")
        values["tags"] = [tag for tag in values["tags"] if isinstance(tag, str)]
    if values["stats"]:
        for key, types in _STATS.items():
            if key in values["stats"] and not _fits(values["stats"][key], types):
                problems.append(f"stats.{key} is {_json_type(values['stats'][key])}")
                del values["stats"][key]
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(f"title is {_json_type(title)}, expected some text")
        title = data["id"]
    created = data.get("created")
    if not isinstance(created, str) or not _CREATED.match(created):
        problems.append(f"created is {_json_type(created)}, expected a date")
        stamp = re.match(r"^(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)", data["id"])
        created = (
            "{}-{}-{}T{}:{}:{}+00:00".format(*stamp.groups())
            if stamp
            else "1970-01-01T00:00:00+00:00"
        )
    return Entry(created=created, title=title, **values), problems


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, int | float) and not _fits(value, (int, float, bool)):
        return "a number out of range"
    kinds = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list"}
    kind = {**kinds, dict: "an object"}.get(type(value), type(value).__name__)
    if isinstance(value, str | bool) and len(repr(value)) < 30:
        return f"{kind} ({value!r})"
    return kind


def _type_names(types: tuple) -> str:
    names = {
        str: "text",
        dict: "an object",
        list: "a list",
        bool: "true/false",
        int: "a number",
        float: "a number",
        None: "null",
    }
    return " or ".join(dict.fromkeys(names[t] for t in types))


def _own(name: object) -> bool:
    """A file name of the entry's own folder (no path in it)."""
    return isinstance(name, str) and bool(name) and Path(name).name == name and name != ".."
