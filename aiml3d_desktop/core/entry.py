"""One library entry: what ``entry.json`` holds, and where the entry's files are."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

ENTRY_FILE = "entry.json"
THUMBNAIL = "thumbnail.png"


@dataclass
class Entry:
    """One model and what is known of it; ``entry.json`` holds these fields."""

    id: str
    created: str  # ISO 8601, UTC
    title: str
    mesh_file: str  # file names inside the entry's folder
    source_kind: str = "file"  # file, url, prompt or import
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
    # Kept as a string: making 10,000 Path objects is a good part of opening the browser.
    _folder: str = field(default="", compare=False, repr=False)

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

    @property
    def thumbnail_path(self) -> Path:
        return self.folder / THUMBNAIL

    @property
    def format(self) -> str:
        return Path(self.mesh_file).suffix.lstrip(".").lower()

    @property
    def missing(self) -> bool:
        """The mesh file has gone (deleted by hand): shown as missing, never a crash."""
        return not self.mesh_path.is_file()

    def to_json(self) -> dict:
        data = asdict(self)
        del data["_folder"]
        return data

    @classmethod
    def from_json(cls, data: dict, folder: str | Path) -> Entry:
        entry = cls(**{k: v for k, v in data.items() if k in _ENTRY_FIELDS})
        if not entry.id or not entry.mesh_file or "/" in entry.mesh_file or "\\" in entry.mesh_file:
            raise ValueError("entry.json lacks an id or a plain mesh file name")
        entry.folder = folder
        return entry


_ENTRY_FIELDS = frozenset(f.name for f in fields(Entry)) - {"_folder"}
