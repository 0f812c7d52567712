#!/usr/bin/env bash
# Build the macOS app: "dist/AIML 3D Desktop.app" (declaring .glb and .gltf as documents it
# opens) and dist/aiml3d-desktop-VERSION-macos-ARCH.dmg of it (made with hdiutil, with a link
# to /Applications to drag it onto). ARCH is this Mac's: arm64 or x86_64.
#
# Signing, when MACOS_SIGN_IDENTITY names a "Developer ID Application" identity in a keychain
# (packaging/macos/import_certificate.sh puts one there in CI): PyInstaller signs every binary
# and then the app with the hardened runtime (packaging/aiml3d.spec), and this script the .dmg.
# Notarisation, when MACOS_NOTARY_APPLE_ID, MACOS_NOTARY_TEAM_ID and MACOS_NOTARY_PASSWORD
# (an app-specific password) are set too: the .dmg goes to Apple's notary service and, once
# accepted, the ticket is stapled to it. Without them the app is signed ad hoc only.
set -euo pipefail
cd "$(dirname "$0")/.."

source packaging/bundle.sh

app="dist/AIML 3D Desktop.app"
dmg="dist/aiml3d-desktop-$version-macos-$(uname -m).dmg"
identity="${MACOS_SIGN_IDENTITY:-}"

if [ -n "$identity" ]; then
  codesign --verify --deep --strict "$app"
  echo "signed $app as $identity"
else
  echo "MACOS_SIGN_IDENTITY not set: the app is not signed for distribution (ad hoc only)"
fi

stage=packaging/build/dmg
rm -rf "$stage" "$dmg" && mkdir -p "$stage"
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
# hdiutil now and then fails with "Resource busy" on CI machines: try again before giving up.
for attempt in 1 2 3; do
  hdiutil create -volname "AIML 3D Desktop" -srcfolder "$stage" -ov -format UDZO "$dmg" && break
  [ "$attempt" -lt 3 ] || exit 1
  echo "hdiutil failed; trying again in 10 s"
  sleep 10
done

if [ -n "$identity" ]; then
  codesign --force --timestamp --sign "$identity" "$dmg"
fi
if [ -n "$identity" ] && [ -n "${MACOS_NOTARY_APPLE_ID:-}" ]; then
  # notarytool exits 0 even when Apple rejects the file: the verdict is in its answer.
  answer=$(xcrun notarytool submit "$dmg" --wait --timeout 30m --output-format json \
    --apple-id "$MACOS_NOTARY_APPLE_ID" --team-id "$MACOS_NOTARY_TEAM_ID" \
    --password "$MACOS_NOTARY_PASSWORD")
  echo "$answer"
  field() { python3 -c "import json, sys; print(json.loads(sys.argv[1]).get('$1', ''))" "$answer"; }
  if [ "$(field status)" != "Accepted" ]; then
    xcrun notarytool log "$(field id)" --apple-id "$MACOS_NOTARY_APPLE_ID" \
      --team-id "$MACOS_NOTARY_TEAM_ID" --password "$MACOS_NOTARY_PASSWORD" || true
    echo "notarisation: $(field status)" >&2
    exit 1
  fi
  xcrun stapler staple "$dmg"
  echo "notarised and stapled $dmg"
elif [ -n "$identity" ]; then
  echo "MACOS_NOTARY_APPLE_ID not set: signed but not notarised (Gatekeeper will still warn)"
fi
echo "built $dmg"
