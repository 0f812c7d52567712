"""AIML 3D Desktop: pictures in, 3D models out."""

__version__ = "0.1.0"
APP_NAME = "AIML 3D Desktop"
APP_ID = "aiml3d-desktop"
