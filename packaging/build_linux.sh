#!/usr/bin/env bash
# Build the Linux app: the PyInstaller folder (dist/aiml3d-desktop/), a portable .tar.gz of
# it, and a .deb that installs it to /opt with commands on the PATH, a desktop entry, icons
# and the glTF file types. Needs Python 3.10+ and dpkg-deb (Debian, Ubuntu).
set -euo pipefail
cd "$(dirname "$0")/.."

source packaging/bundle.sh
arch=$(dpkg --print-architecture)

tar -C dist -czf "dist/aiml3d-desktop-$version-linux-$arch.tar.gz" aiml3d-desktop

stage=packaging/build/deb
rm -rf $stage
mkdir -p $stage/DEBIAN $stage/opt $stage/usr/bin
cp -a dist/aiml3d-desktop $stage/opt/
ln -s /opt/aiml3d-desktop/aiml3d $stage/usr/bin/aiml3d
ln -s /opt/aiml3d-desktop/aiml3d-desktop $stage/usr/bin/aiml3d-desktop
install -D -m644 resources/aiml3d-desktop.desktop $stage/usr/share/applications/aiml3d-desktop.desktop
install -D -m644 resources/aiml3d-desktop-mime.xml $stage/usr/share/mime/packages/aiml3d-desktop.xml
for size in 16 24 32 48 64 128 256 512; do
  install -D -m644 packaging/build/icons/aiml3d-$size.png \
    "$stage/usr/share/icons/hicolor/${size}x${size}/apps/aiml3d-desktop.png"
done
install -D -m644 resources/aiml3d.svg $stage/usr/share/icons/hicolor/scalable/apps/aiml3d-desktop.svg
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" \
    -e "s/@SIZE@/$(du -sk $stage/opt $stage/usr | awk '{s+=$1} END {print s}')/" \
    packaging/linux/control > $stage/DEBIAN/control
install -m755 packaging/linux/postinst $stage/DEBIAN/postinst
install -m755 packaging/linux/postinst $stage/DEBIAN/postrm
deb="dist/aiml3d-desktop_${version}_${arch}.deb"
dpkg-deb --build --root-owner-group -Zxz $stage "$deb" >/dev/null

echo "built $(du -sh dist/aiml3d-desktop | cut -f1) folder dist/aiml3d-desktop/"
ls -l "$deb" "dist/aiml3d-desktop-$version-linux-$arch.tar.gz"
