"""The log file (in the user's log folder): what the window and the command line did, with
tracebacks for bug reports, never the key. Consoles get errors only, as one line each."""

from __future__ import annotations

import logging
import logging.handlers

from aiml3d_desktop import paths
from aiml3d_desktop.core.api import keys

log = logging.getLogger("aiml3d_desktop")
FILE_NAME = "aiml3d.log"


class _Redacting(logging.Formatter):
    """Belt and braces: should the key ever reach a log line (a message, an exception's
    text in a traceback), it is blanked out of the whole record as written."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        key = keys.known_secret()
        return text.replace(key, "[key]") if key else text


def setup() -> None:
    """A rotating log file for this package's loggers (one handler, moved if the folder
    changed); they no longer reach the console."""
    folder = paths.log_dir()
    for handler in list(log.handlers):
        if isinstance(handler, logging.handlers.RotatingFileHandler):
            if handler.baseFilename == str((folder / FILE_NAME).absolute()):
                return
            log.removeHandler(handler)
            handler.close()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            folder / FILE_NAME, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        return  # a read-only home must not stop the app
    handler.setFormatter(_Redacting("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # the console stays quiet: the file has it all
