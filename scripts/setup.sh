#!/usr/bin/env bash
# Installs what building and testing apphost needs on Debian/Ubuntu: the system libraries that
# wry/tao/muda/tray-icon link against, Xvfb and WebKitWebDriver for the real-webview tests, a
# Python virtual environment with Selenium (target/selenium-venv, or $APPHOST_SELENIUM_VENV) for
# the test that drives an app like a user's CI, and a Rust toolchain when none is on PATH.
# Idempotent and quiet: it installs only what is missing and prints nothing when everything is
# already there.
set -euo pipefail

packages=(
  pkg-config build-essential
  libwebkit2gtk-4.1-dev libgtk-3-dev libxdo-dev libayatana-appindicator3-dev
  xvfb webkit2gtk-driver xdotool x11-utils imagemagick
  python3-venv python3-pip
  elfutils # eu-strip, for the strip test of src/pack/embed
  gstreamer1.0-libav # H.264/AAC decoding (tests/apps/media/web/clip-h264.mp4; WebM/Ogg/WAV need nothing)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq >/dev/null
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: installing the Rust toolchain with rustup" >&2
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy >/dev/null
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if command -v rustup >/dev/null 2>&1; then
  for c in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c" >/dev/null 2>&1
  done
fi

# Selenium for Python, as a user's CI would install it (tests/webview/selenium.rs runs it).
# Rebuilt only when it cannot import selenium, so a half-made one is repaired.
selenium_venv=${APPHOST_SELENIUM_VENV:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/selenium-venv}
if ! "$selenium_venv/bin/python" -c 'import selenium' >/dev/null 2>&1; then
  echo "setup: creating $selenium_venv with selenium" >&2
  python3 -m venv --clear "$selenium_venv"
  "$selenium_venv/bin/pip" install --quiet --disable-pip-version-check 'selenium>=4.11,<5'
fi
