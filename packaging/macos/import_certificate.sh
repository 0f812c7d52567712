#!/usr/bin/env bash
# CI only: put the Developer ID certificate (MACOS_CERT_P12_BASE64, a .p12 in base64, with
# MACOS_CERT_PASSWORD) into a keychain of this run's own, where codesign finds it, so that
# build_macos.sh can sign with MACOS_SIGN_IDENTITY. Without the certificate it says so and
# does nothing. With --remove it deletes that keychain (the workflow's last step, always).
set -euo pipefail
keychain="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/aiml3d-signing.keychain-db"

if [ "${1:-}" = "--remove" ]; then
  [ -f "$keychain" ] && security delete-keychain "$keychain"
  exit 0
fi
if [ -z "${MACOS_CERT_P12_BASE64:-}" ]; then
  echo "No signing certificate (MACOS_CERT_P12_BASE64): the app will not be signed for distribution"
  exit 0
fi

password=$(openssl rand -hex 24)  # this keychain's own, never written anywhere
p12=$(mktemp)
trap 'rm -f "$p12"' EXIT
printf '%s' "$MACOS_CERT_P12_BASE64" | base64 --decode > "$p12"
security create-keychain -p "$password" "$keychain"
security set-keychain-settings -lut 21600 "$keychain"  # stays unlocked for the build's 6 h
security unlock-keychain -p "$password" "$keychain"
security import "$p12" -k "$keychain" -P "$MACOS_CERT_PASSWORD" -f pkcs12 -T /usr/bin/codesign
security set-key-partition-list -S apple-tool:,apple:,codesign: -s -k "$password" "$keychain" >/dev/null
# codesign searches the user's keychain list: this one first, then the ones already there.
existing=()
while IFS= read -r line; do
  line="${line#"${line%%[![:space:]]*}"}"
  existing+=("${line//\"/}")
done < <(security list-keychains -d user)
security list-keychains -d user -s "$keychain" ${existing[@]+"${existing[@]}"}
echo "Signing identities available:"
security find-identity -v -p codesigning "$keychain"
