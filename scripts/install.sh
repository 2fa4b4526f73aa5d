#!/usr/bin/env bash
# Installs alpr-edge as a service on Raspberry Pi OS / Debian, from this checkout.
#
#   sudo scripts/install.sh                 install on this machine (safe to run again: it upgrades)
#   scripts/install.sh --dry-run            print every step, change nothing
#   scripts/install.sh --root DIR           install into a staging root (an image being built, a test);
#                                           commands that act on the host (apt, useradd, systemctl, udevadm)
#                                           are not run there but written to DIR/opt/alpr-edge/install-plan.sh
#   options: --pi / --no-pi                 force Raspberry Pi extras on or off (default: detected)
#            --kiosk                        also the in-car touchscreen: Chromium in kiosk mode under cage on
#                                           tty1 (systemd/alpr-edge-kiosk.service, enabled; user alpr-kiosk)
#            --venv                         with --root: build the real virtualenv in the staging root
#                                           (default there: a stand-in command, so units can be verified);
#                                           it is made to run from /opt/alpr-edge once the root is in place
#                                           (no staging path is left in its scripts, pyvenv.cfg or bytecode)
#   environment: PYTHON=/usr/bin/python3    the interpreter the virtualenv is built on (default python3; with
#                                           --root, one the image has at the same path)
#                PIP_*                      pip's own settings (PIP_INDEX_URL, PIP_FIND_LINKS, ...) pass through
#
# On a terminal each step is announced and pip shows its progress bars; in a pipe or a log, only the
# lines that say what changed.
#
# What it does: service user alpr-edge (groups video, dialout, gpio), folders
# (/etc/alpr-edge, /var/lib/alpr-edge 0700, /opt/alpr-edge), a virtualenv in
# /opt/alpr-edge/releases/VERSION/venv with /opt/alpr-edge/venv pointing at it
# (alpr-edge update switches that link), the udev rule for /dev/gps0, the
# journald size limits, the systemd unit (enabled) and the polkit power-off rule.
# Next step after a first install: sudo alpr-edge provision ... (see README).
set -euo pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"

ROOT=""; DRY=0; PI=auto; VENV=auto; KIOSK=0; PYTHON="${PYTHON:-python3}"
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="$(realpath -m "${2:?--root needs a folder}")"; shift ;;
    --root=*) ROOT="$(realpath -m "${1#--root=}")" ;;
    --dry-run) DRY=1 ;;
    --pi) PI=1 ;;
    --no-pi) PI=0 ;;
    --venv) VENV=1 ;;
    --kiosk) KIOSK=1 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

USER_NAME=alpr-edge
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$SRC/pyproject.toml" | head -1)"
PLAN="$ROOT/opt/alpr-edge/install-plan.sh"
if [ "$PI" = auto ]; then
  PI=0; grep -qs "Raspberry Pi" /proc/device-tree/model && [ -z "$ROOT" ] && PI=1
fi
[ "$VENV" = auto ] && { [ -n "$ROOT" ] && VENV=0 || VENV=1; }
if [ -z "$ROOT" ] && [ $DRY = 0 ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (sudo), or use --dry-run / --root DIR" >&2; exit 2
fi
[ -z "$ROOT" ] && [ ! -f /etc/debian_version ] && echo "install.sh: warning: not Debian-based; continuing" >&2

say() { echo "install.sh: $*"; }
STEPS=7
step() { [ -t 1 ] && echo "install.sh: [$1/$STEPS] $2"; return 0; }   # headings for a person at a terminal
# pip's progress bars on a terminal; quiet in a pipe or a log.
if [ -t 1 ]; then PIP_SHOW=(--progress-bar on); else PIP_SHOW=(--quiet); fi
# A step that changes files under ROOT (printed only, in a dry run).
do_() { if [ $DRY = 1 ]; then echo "+ $*"; else "$@"; fi; }
# A step that acts on the host system, given as one shell command line (guards
# included, so the plan is safe to run twice): run only on a real install; with
# --root it is written to the plan for the first boot of the image.
host() {
  if [ $DRY = 1 ]; then echo "+ (host) $1"; return 0; fi
  if [ -n "$ROOT" ]; then
    mkdir -p "$(dirname "$PLAN")"
    [ -f "$PLAN" ] || printf '#!/bin/sh\n# Host steps scripts/install.sh --root could not run in the staging root.\nset -e\n' > "$PLAN"
    grep -qxF "$1" "$PLAN" || echo "$1" >> "$PLAN"
    chmod 0755 "$PLAN"; return 0
  fi
  sh -c "$1"
}
put() { # put MODE SOURCE DEST: install a file (idempotent; only rewritten when different)
  local mode=$1 from=$2 to="$ROOT$3"
  if [ -f "$to" ] && cmp -s "$from" "$to" && [ "$(stat -c %a "$to")" = "${mode#0}" ]; then return 0; fi
  do_ install -D -m "$mode" "$from" "$to"; say "installed $3"
}

# 1. System packages.
step 1 "system packages"
packages=(python3 python3-venv python3-pip)
[ $PI = 1 ] && packages+=(python3-picamera2)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ -n "$ROOT" ] && missing=("${packages[@]}")   # the staging root's packages are not this host's
if [ ${#missing[@]} -gt 0 ]; then
  host "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
fi
if [ $KIOSK = 1 ]; then  # Debian calls it chromium; older Raspberry Pi OS chromium-browser
  host "command -v cage >/dev/null && command -v chromium >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends cage && { apt-get install -y --no-install-recommends chromium || apt-get install -y --no-install-recommends chromium-browser; }; }"
  host "command -v chromium >/dev/null || ln -sf /usr/bin/chromium-browser /usr/local/bin/chromium"
fi

step 2 "service user"
# 2. Service user and groups (gpio exists only on Raspberry Pi OS; the unit needs it to exist).
image_users=0
useradd_args="--system --user-group --home-dir /var/lib/alpr-edge --no-create-home --shell /usr/sbin/nologin --comment 'alpr-edge daemon'"
if [ -n "$ROOT" ] && [ -f "$ROOT/etc/passwd" ] && [ $DRY = 0 ]; then
  # A real root file system (an image being built): edit its own user database now.
  grep -qs '^gpio:' "$ROOT/etc/group" || groupadd --system --root "$ROOT" gpio
  grep -qs "^$USER_NAME:" "$ROOT/etc/passwd" || sh -c "useradd --root '$ROOT' $useradd_args $USER_NAME"
  usermod --root "$ROOT" --append --groups video,dialout,gpio $USER_NAME
  image_users=1
else
  host "getent group gpio >/dev/null || groupadd --system gpio"
  host "getent passwd $USER_NAME >/dev/null || useradd $useradd_args $USER_NAME"
  host "usermod --append --groups video,dialout,gpio $USER_NAME"
fi

# The kiosk's user: sees the screen, the touchscreen and the sound card; none of the data.
if [ $KIOSK = 1 ]; then
  kiosk_args="--system --user-group --home-dir /var/lib/alpr-edge-kiosk --no-create-home --shell /usr/sbin/nologin --comment 'alpr-edge touchscreen'"
  if [ $image_users = 1 ]; then
    grep -qs '^render:' "$ROOT/etc/group" || groupadd --system --root "$ROOT" render
    grep -qs '^alpr-kiosk:' "$ROOT/etc/passwd" || sh -c "useradd --root '$ROOT' $kiosk_args alpr-kiosk"
  else
    host "getent passwd alpr-kiosk >/dev/null || useradd $kiosk_args alpr-kiosk"
  fi
fi

# 3. Folders. The data folder is private to the service user.
step 3 "folders"
do_ install -d -m 0755 "$ROOT/etc/alpr-edge" "$ROOT/opt/alpr-edge/releases" "$ROOT/usr/share/alpr-edge"
do_ install -d -m 0700 "$ROOT/var/lib/alpr-edge"
if [ $image_users = 1 ]; then
  chown "$(awk -F: -v u=$USER_NAME '$1 == u {print $3 ":" $4}' "$ROOT/etc/passwd")" "$ROOT/var/lib/alpr-edge"
else
  host "chown $USER_NAME:$USER_NAME /var/lib/alpr-edge"
fi

# 4. The virtualenv for this version, and the link the unit runs through.
step 4 "virtualenv"
# Built under --root, a virtualenv names its staging folder in every script's #! line and in
# pyvenv.cfg: rewrite that to the in-system path, and compile the bytecode as if it were there.
relocate() {
  local venv=$1
  "$PYTHON" - "$ROOT" "$venv" <<'PY'
import os, sys
root, venv = sys.argv[1].encode(), sys.argv[2]
for folder, dirs, files in os.walk(venv):
    dirs[:] = [d for d in dirs if d != "__pycache__"]
    for name in files:
        path = os.path.join(folder, name)
        if os.path.islink(path):
            continue
        with open(path, "rb") as handle:
            data = handle.read()
        if root + b"/" in data:
            with open(path, "wb") as handle:
                handle.write(data.replace(root + b"/", b"/"))
PY
  find "$venv" -name __pycache__ -type d -prune -exec rm -rf {} +
  "$venv/bin/python" -m compileall -q -s "$ROOT" -p / "$venv/lib" >/dev/null
}
release="$ROOT/opt/alpr-edge/releases/$VERSION"
stamp="$release/.installed-$( (cd "$SRC" && git rev-parse HEAD 2>/dev/null || sha256sum pyproject.toml) | cut -c1-16)-pi$PI"
if [ $VENV = 1 ]; then
  if [ ! -f "$stamp" ]; then
    site=(); [ $PI = 1 ] && site=(--system-site-packages)   # picamera2 comes from Raspberry Pi OS
    extras=""; [ $PI = 1 ] && extras="[pi]"
    nocompile=(); [ -n "$ROOT" ] && nocompile=(--no-compile)   # compiled by relocate, with in-system paths
    do_ "$PYTHON" -m venv "${site[@]}" "$release/venv"
    do_ "$release/venv/bin/python" -m pip install "${PIP_SHOW[@]}" "${nocompile[@]}" --upgrade pip
    do_ "$release/venv/bin/python" -m pip install "${PIP_SHOW[@]}" "${nocompile[@]}" "$SRC$extras"
    if [ -n "$ROOT" ]; then do_ relocate "$release/venv"; fi
    do_ rm -f "$release"/.installed-*
    do_ touch "$stamp"
    say "virtualenv ready: /opt/alpr-edge/releases/$VERSION/venv (extras: ${extras:-none})"
  fi
elif [ ! -x "$release/venv/bin/alpr-edge" ]; then
  # Stand-in so that the unit can be verified in the staging root; --venv builds the real one.
  do_ mkdir -p "$release/venv/bin"
  if [ $DRY = 0 ]; then
    printf '#!/bin/sh\necho "alpr-edge: staged stand-in; run scripts/install.sh on the device" >&2\nexit 1\n' > "$release/venv/bin/alpr-edge"
    chmod 0755 "$release/venv/bin/alpr-edge"
  fi
fi
current="$ROOT/opt/alpr-edge/venv"
if [ ! -L "$current" ]; then
  [ -e "$current" ] && do_ mv "$current" "$current.pre-releases"   # an old plain venv is kept aside
  do_ ln -s "releases/$VERSION/venv" "$current"
elif [ "$(readlink "$current")" != "releases/$VERSION/venv" ]; then
  do_ ln -sfn "releases/$VERSION/venv" "$current"; say "switched to $VERSION (was $(readlink "$current"))"
fi
# The recognition models belong to the release (a rollback restores them too);
# the config points at the link (alpr-edge provision sets recognition.models_dir).
if compgen -G "$SRC/models/*.tflite" >/dev/null; then
  for model in "$SRC"/models/*; do
    [ -f "$model" ] && put 0644 "$model" "/opt/alpr-edge/releases/$VERSION/models/$(basename "$model")"
  done
  if [ "$(readlink "$ROOT/opt/alpr-edge/models" 2>/dev/null)" != "releases/$VERSION/models" ]; then
    do_ ln -sfn "releases/$VERSION/models" "$ROOT/opt/alpr-edge/models"
  fi
fi
[ -L "$ROOT/usr/local/bin/alpr-edge" ] || { do_ mkdir -p "$ROOT/usr/local/bin"; do_ ln -sfn /opt/alpr-edge/venv/bin/alpr-edge "$ROOT/usr/local/bin/alpr-edge"; }

# 5. Profiles and documentation.
step 5 "profiles and documentation"
for profile in "$SRC"/firmware_profiles/*.toml; do
  put 0644 "$profile" "/usr/share/alpr-edge/firmware_profiles/$(basename "$profile")"
done
if [ -d "$SRC/firmware_profiles/sim-data" ] && [ ! -d "$ROOT/usr/share/alpr-edge/firmware_profiles/sim-data" ]; then
  do_ cp -r "$SRC/firmware_profiles/sim-data" "$ROOT/usr/share/alpr-edge/firmware_profiles/sim-data"
fi
put 0644 "$SRC/README.md" /opt/alpr-edge/README.md

step 6 "system rules and the service unit"
# 6. udev rule for the GPS receiver, journald limits, polkit rule, systemd unit.
put 0644 "$SRC/systemd/60-alpr-edge-gps.rules" /etc/udev/rules.d/60-alpr-edge-gps.rules
put 0644 "$SRC/systemd/journald-alpr-edge.conf" /etc/systemd/journald.conf.d/60-alpr-edge.conf
put 0644 "$SRC/systemd/50-alpr-edge-poweroff.rules" /etc/polkit-1/rules.d/50-alpr-edge-poweroff.rules
put 0644 "$SRC/systemd/alpr-edge.service" /etc/systemd/system/alpr-edge.service
units=(alpr-edge.service)
if [ $KIOSK = 1 ]; then
  put 0644 "$SRC/systemd/alpr-edge-kiosk.service" /etc/systemd/system/alpr-edge-kiosk.service
  units+=(alpr-edge-kiosk.service)
fi
host "udevadm control --reload-rules && udevadm trigger --subsystem-match=tty --action=add"
host "systemctl restart systemd-journald"
for unit in "${units[@]}"; do
  if [ -n "$ROOT" ] && [ $DRY = 0 ] && command -v systemctl >/dev/null; then
    systemctl --root="$ROOT" enable "$unit" >/dev/null 2>&1 && say "enabled $unit in $ROOT" \
      || host "systemctl enable $unit"
  else
    host "systemctl daemon-reload"
    host "systemctl enable $unit"
  fi
done

# 7. Start (or restart, on an upgrade) only a provisioned device.
step 7 "start"
if [ -f "$ROOT/etc/alpr-edge/config.toml" ]; then
  host "systemctl restart alpr-edge.service"
  [ $KIOSK = 1 ] && host "systemctl restart alpr-edge-kiosk.service"
  say "done: alpr-edge $VERSION installed and (re)started; check it with: alpr-edge selftest"
else
  say "done: alpr-edge $VERSION installed. Next: sudo alpr-edge provision ..., sudo alpr-edge cert install FILE (see README), then sudo systemctl start alpr-edge"
fi
[ -n "$ROOT" ] && [ $DRY = 0 ] && [ -f "$PLAN" ] && say "host steps for the image's first boot: ${PLAN#"$ROOT"}"
exit 0
