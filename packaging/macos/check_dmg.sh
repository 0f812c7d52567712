#!/usr/bin/env bash
# Open the built .dmg and check the app in it as a user would meet it: copied out of the disk
# image (as dragging it to Applications does), its version, the command line inside it, the
# document types it declares, its signature (required to be valid when MACOS_SIGN_IDENTITY is
# set, and Gatekeeper's approval when it was notarised) and its --self-test, which opens the
# real window and checks the pixels of the first frame.
# Usage: packaging/macos/check_dmg.sh dist/aiml3d-desktop-VERSION-macos-ARCH.dmg
set -euo pipefail
dmg=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
version=$(basename "$dmg" | sed -E 's/^aiml3d-desktop-(.+)-macos-[^-]+\.dmg$/\1/')
work=$(mktemp -d)
mount="$work/volume"
mkdir -p "$mount" "$work/Applications"
cleanup() {
  hdiutil detach "$mount" -force >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

hdiutil attach "$dmg" -nobrowse -readonly -mountpoint "$mount" >/dev/null
[ -L "$mount/Applications" ] || { echo "the disk image has no Applications link to drag onto"; exit 1; }
cp -R "$mount/AIML 3D Desktop.app" "$work/Applications/"
app="$work/Applications/AIML 3D Desktop.app"
echo "== installed: $(du -sh "$app" | cut -f1) $app"

plist="$app/Contents/Info.plist"
shown=$(plutil -extract CFBundleShortVersionString raw "$plist")
[ "$shown" = "$version" ] || { echo "Info.plist says version $shown, the file name $version"; exit 1; }
plutil -extract CFBundleDocumentTypes xml1 -o - "$plist" | grep -q "<string>glb</string>" ||
  { echo "the app does not declare .glb documents"; exit 1; }
echo "== version $shown; opens .glb and .gltf documents"

# No binary inside may need a newer macOS than the app says it runs on (pip picks wheels
# built for the newest macOS the build machine allows).
declared=$(plutil -extract LSMinimumSystemVersion raw "$plist")
needed=$(find "$app/Contents" -type f \( -name "*.so" -o -name "*.dylib" -o -perm -u+x \) \
    -exec otool -l {} + 2>/dev/null |
  awk '/cmd LC_BUILD_VERSION/ {b = 1} b && $1 == "minos" {print $2; b = 0}
       /cmd LC_VERSION_MIN_MACOSX/ {v = 1} v && $1 == "version" {print $2; v = 0}' |
  python3 -c 'import sys; print(max(sys.stdin.read().split(), key=lambda v: tuple(map(int, v.split(".")))))')
python3 -c 'import sys; a, b = (tuple(map(int, v.split("."))) for v in sys.argv[1:]); sys.exit(a > b)' \
  "$needed" "$declared" ||
  { echo "a binary in the app needs macOS $needed; Info.plist says $declared"; exit 1; }
echo "== binaries need macOS $needed at most; the app asks for $declared"

cli="$app/Contents/MacOS/aiml3d"
echo "== aiml3d --version: $("$cli" --version)"
sample=$(find "$app/Contents" -path "*resources/samples/sample.glb" | head -1)
"$cli" info "$sample"
"$cli" info "$sample" --json | grep -q '"triangles": 3072'

echo "== signature"
if codesign --verify --deep --strict "$app" 2>"$work/codesign.txt"; then
  codesign -dv "$app" 2>&1 | grep -E "^(Authority|TeamIdentifier|Signature)" || true
elif [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  cat "$work/codesign.txt"
  exit 1
else
  echo "not signed for distribution (no MACOS_SIGN_IDENTITY): Gatekeeper will ask users to confirm"
fi
if [ -n "${MACOS_SIGN_IDENTITY:-}" ] && [ -n "${MACOS_NOTARY_APPLE_ID:-}" ]; then
  xcrun stapler validate "$dmg"
  spctl --assess --type execute --verbose "$app"
fi

echo "== self-test"
perl -e 'alarm shift; exec @ARGV' 300 "$app/Contents/MacOS/aiml3d-desktop" --self-test
echo "installed app checked"
