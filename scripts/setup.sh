#!/usr/bin/env bash
# Sets up a checkout of alpr-edge on Debian / Raspberry Pi OS:
# system packages (with sudo when not root), then a virtualenv in .venv with
# the package installed in editable mode.
#
#   scripts/setup.sh            runtime only (enough for `alpr-edge run --profile sim`)
#   scripts/setup.sh --dev      plus what the tests need: Mosquitto, PostgreSQL, Chromium, test tools
#   scripts/setup.sh --train    plus TensorFlow and fonts, to train the models
#
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0; train=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --train) train=1 ;;
    *) echo "setup.sh: unknown option $arg (use --dev or --train)" >&2; exit 2 ;;
  esac
done

apt_packages=(python3 python3-venv python3-pip)
[ $dev = 1 ] && apt_packages+=(mosquitto postgresql chromium systemd fonts-dejavu-core fonts-liberation fonts-freefont-ttf)
[ $train = 1 ] && apt_packages+=(fonts-dejavu-core fonts-liberation fonts-freefont-ttf fonts-noto-core fonts-open-sans fonts-roboto-unhinted fonts-urw-base35)

missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "setup.sh: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The test broker and the test PostgreSQL are started by the tests (a loopback
# port, a temporary socket); the packaged services are not needed.
if [ $dev = 1 ] && command -v systemctl >/dev/null && systemctl is-active --quiet mosquitto 2>/dev/null; then
  echo "setup.sh: note: a system mosquitto is running; the tests start their own on free ports" >&2
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
extras="."
[ $dev = 1 ] && extras=".[dev]"
[ $train = 1 ] && { [ $dev = 1 ] && extras=".[dev,train]" || extras=".[train]"; }
stamp=".venv/.alpr-edge-installed-$(sha256sum pyproject.toml | cut -c1-16)-${extras//[^a-z,]/}"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e "$extras"
  rm -f .venv/.alpr-edge-installed-*
  touch "$stamp"
fi
echo "setup.sh: ready (.venv/bin/alpr-edge)" >&2
