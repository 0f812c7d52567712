"""The local library: entries on disk, their index, and a new entry being assembled."""
