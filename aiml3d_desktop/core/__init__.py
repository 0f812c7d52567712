"""The Qt-free heart of the app: API client, meshes, files. Nothing here imports Qt or OpenGL."""
