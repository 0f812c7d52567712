#!/usr/bin/env bash
# Install the built .deb on this machine and check the installed app as a user would meet it:
# its self-test under a virtual display, the command line, and the .glb file association.
# Usage: packaging/linux/check_deb.sh dist/aiml3d-desktop_VERSION_ARCH.deb
set -euo pipefail
deb=$(realpath "$1")
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# xdg-utils and desktop-file-utils: to check the file association as xdg-open sees it.
$sudo apt-get install -y -qq --reinstall --no-install-recommends "$deb" xvfb xauth xdg-utils \
  desktop-file-utils shared-mime-info >/dev/null

sample=/opt/aiml3d-desktop/_internal/resources/samples/sample.glb
echo "== installed: $(du -sh /opt/aiml3d-desktop | cut -f1) in /opt/aiml3d-desktop"
echo "== aiml3d --version: $(aiml3d --version)"
aiml3d info "$sample"
aiml3d info "$sample" --json | grep -q '"triangles": 3072'
echo "== self-test"
home=$(mktemp -d)
HOME=$home xvfb-run -a -s "-screen 0 1280x1024x24" aiml3d-desktop --self-test
echo "== .glb opens with: $(xdg-mime query default model/gltf-binary)"
[ "$(xdg-mime query default model/gltf-binary)" = "aiml3d-desktop.desktop" ]
[ "$(xdg-mime query filetype "$sample")" = "model/gltf-binary" ]
desktop-file-validate /usr/share/applications/aiml3d-desktop.desktop
echo "installed app checked"
