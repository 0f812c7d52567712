"""Typed errors. ``str(error)`` is one line a person can act on; ``details`` holds the rest."""

from __future__ import annotations

import contextlib
import errno
import sqlite3
import traceback
from collections.abc import Iterator


class Aiml3DError(Exception):
    """Base of every error the app reports to a person."""

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        request_id: str | None = None,
        status: int | None = None,
        details: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.request_id = request_id
        self.status = status
        self.details = details

    def __str__(self) -> str:
        text = self.message.rstrip(".") + "."
        if self.request_id:
            text += f" (request {self.request_id})"
        if self.hint:
            text += " " + self.hint
        return " ".join(text.split())  # one line, always


class InputError(Aiml3DError):
    """The user's input (image, URL, parameter, file) cannot be used."""


class ConfigError(Aiml3DError):
    """Settings are missing or unusable: no key, a bad base URL."""


class NetworkError(Aiml3DError):
    """The server could not be reached, or stopped answering."""


class ApiError(Aiml3DError):
    """The AIML API answered with an error status."""


class BadResponseError(Aiml3DError):
    """The server answered, but not with what the documented API promises."""


class DownloadError(Aiml3DError):
    """The mesh could not be downloaded whole, or is not the mesh asked for."""


class MeshLoadError(Aiml3DError):
    """A mesh file is broken, empty or of a kind we cannot read."""


class LibraryError(Aiml3DError):
    """Where models are kept (the library, its index, an output folder) cannot be read or
    written: a full disk, a read-only folder."""


class Cancelled(Aiml3DError):
    """The user cancelled; nothing was kept."""

    def __init__(self, message: str = "Cancelled") -> None:
        super().__init__(message)


STORAGE_HINT = "Check that the disk has free space and that the folder is writable."
_STORAGE_HINTS = {
    errno.ENOSPC: "The disk is full: free some space, then try again.",
    errno.EDQUOT: "Your disk quota is used up: free some space, then try again.",
    errno.EFBIG: "The file is larger than this disk or your limits allow.",
    errno.EROFS: "The disk is read-only.",
    errno.EACCES: "The folder is not writable for you: check its permissions.",
    errno.EPERM: "The folder is not writable for you: check its permissions.",
    errno.ENOENT: "It was moved or deleted meanwhile (by another window or program?).",
    errno.ENAMETOOLONG: "The name is too long for this disk.",
    errno.ENOTEMPTY: "Something with this name is already there.",
    errno.EEXIST: "Something with this name is already there.",
}


def storage_hint(exc: BaseException) -> str:
    """What to do about a file system failure, by what it is."""
    code = getattr(exc, "errno", None)
    return _STORAGE_HINTS.get(code, STORAGE_HINT) if isinstance(code, int) else STORAGE_HINT


@contextlib.contextmanager
def storage_errors(what: str) -> Iterator[None]:
    """A full disk, a read-only folder or a broken index, as one error a person can act on."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise LibraryError(f"{what}: {reason}", hint=storage_hint(exc)) from exc


def as_error(exc: BaseException) -> Aiml3DError:
    """Any exception as the error a person sees: ours as they are; a file system failure
    (a full disk, a read-only folder) as what it is; anything else as a fault of the app,
    with the traceback in ``details`` for a bug report."""
    if isinstance(exc, Aiml3DError):
        return exc
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if isinstance(exc, OSError):
        where = f" ({str(exc.filename)[:200]})" if exc.filename else ""
        reason = exc.strerror or str(exc) or type(exc).__name__
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
        # A disk that takes nothing is the set-up's failure, not one file's: it stops a batch.
        kind = LibraryError if full or exc.errno == errno.EROFS else Aiml3DError
        return kind(
            f"{'The disk is full' if full else 'A file could not be used'}: {reason}{where}",
            hint=storage_hint(exc),
            details=details,
        )
    if isinstance(exc, MemoryError):
        return Aiml3DError(
            "There is not enough memory for this",
            hint="Close other programs, or try something smaller.",
            details=details,
        )
    if isinstance(exc, RecursionError):
        return Aiml3DError(
            "The data is nested too deeply to be read",
            hint="It is damaged, or made to trip up programs that read it.",
            details=details,
        )
    return Aiml3DError(
        f"Something went wrong inside the app: {type(exc).__name__}: {exc}",
        hint="Please report it with the log file (Help > Open log folder).",
        details=details,
    )
