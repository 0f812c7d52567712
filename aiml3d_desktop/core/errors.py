"""Typed errors. ``str(error)`` is one line a person can act on; ``details`` holds the rest."""

from __future__ import annotations


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
    """The library folder or its index cannot be read or written."""


class Cancelled(Aiml3DError):
    """The user cancelled; nothing was kept."""

    def __init__(self, message: str = "Cancelled") -> None:
        super().__init__(message)
