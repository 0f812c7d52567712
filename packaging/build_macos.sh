#!/usr/bin/env bash
# Build the macOS app: "dist/AIML 3D Desktop.app" (declaring .glb and .gltf as documents it
# opens) and a .dmg of it made with hdiutil, with a link to /Applications to drag it onto.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=packaging/build/venv
[ -x $venv/bin/python ] || "${PYTHON:-python3}" -m venv $venv
$venv/bin/python -m pip install -q --upgrade pip
$venv/bin/python -m pip install -q -e ".[build]"
version=$($venv/bin/python -c "import aiml3d_desktop; print(aiml3d_desktop.__version__)")
$venv/bin/python packaging/make_icons.py packaging/build/icons
cp packaging/build/icons/aiml3d.icns packaging/build/aiml3d.icns
$venv/bin/pyinstaller --noconfirm --clean --log-level WARN --distpath dist \
  --workpath packaging/build/work packaging/aiml3d.spec

stage=packaging/build/dmg
rm -rf $stage && mkdir -p $stage
cp -R "dist/AIML 3D Desktop.app" $stage/
ln -s /Applications $stage/Applications
hdiutil create -volname "AIML 3D Desktop" -srcfolder $stage -ov -format UDZO \
  "dist/aiml3d-desktop-$version-macos.dmg"
echo "built dist/aiml3d-desktop-$version-macos.dmg"
