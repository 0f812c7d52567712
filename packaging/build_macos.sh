#!/usr/bin/env bash
# Build the macOS app: "dist/AIML 3D Desktop.app" (declaring .glb and .gltf as documents it
# opens) and a .dmg of it made with hdiutil, with a link to /Applications to drag it onto.
set -euo pipefail
cd "$(dirname "$0")/.."

source packaging/bundle.sh

stage=packaging/build/dmg
rm -rf $stage && mkdir -p $stage
cp -R "dist/AIML 3D Desktop.app" $stage/
ln -s /Applications $stage/Applications
hdiutil create -volname "AIML 3D Desktop" -srcfolder $stage -ov -format UDZO \
  "dist/aiml3d-desktop-$version-macos.dmg"
echo "built dist/aiml3d-desktop-$version-macos.dmg"
