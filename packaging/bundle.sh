# shellcheck shell=bash
# Sourced by build_linux.sh and build_macos.sh from the checkout's top folder: a build venv
# with the app and PyInstaller, the icons, then the PyInstaller folder (or .app) in dist/.
# Leaves $venv and $version set.
venv=packaging/build/venv
[ -x $venv/bin/python ] || "${PYTHON:-python3}" -m venv $venv
$venv/bin/python -m pip install -q --upgrade pip
# The versions CI tests (constraints.txt, made on Python 3.11): the bundle ships them.
constraints=()
if $venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  constraints=(-c constraints.txt)
fi
$venv/bin/python -m pip install -q ${constraints[@]+"${constraints[@]}"} -e ".[build]"
# shellcheck disable=SC2034  # used by the scripts that source this one
version=$($venv/bin/python -c "import aiml3d_desktop; print(aiml3d_desktop.__version__)")
$venv/bin/python packaging/make_icons.py packaging/build/icons
cp packaging/build/icons/aiml3d.icns packaging/build/icons/aiml3d.ico packaging/build/
$venv/bin/pyinstaller --noconfirm --clean --log-level WARN --distpath dist \
  --workpath packaging/build/work packaging/aiml3d.spec
