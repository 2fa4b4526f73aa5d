#!/usr/bin/env bash
# Removes alpr-edge from this machine. Data and configuration stay unless --wipe.
#
#   sudo scripts/uninstall.sh            stop and remove the service, software, rules; keep
#                                        /etc/alpr-edge and /var/lib/alpr-edge (reinstall picks them up)
#   sudo scripts/uninstall.sh --wipe     also crypto-shred the data: the keys are destroyed first
#                                        (overwritten, then deleted), so the database and any copy of
#                                        it are unreadable ciphertext, then the data, the
#                                        configuration and the service user are removed
#   --dry-run / --root DIR               as for install.sh
#
# Flash storage may keep old blocks of a deleted file; what makes the data
# unrecoverable is that the key-encryption key is gone, not the overwrite.
set -euo pipefail
ROOT=""; DRY=0; WIPE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="$(realpath -m "${2:?--root needs a folder}")"; shift ;;
    --root=*) ROOT="$(realpath -m "${1#--root=}")" ;;
    --dry-run) DRY=1 ;;
    --wipe) WIPE=1 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$ROOT" ] && [ $DRY = 0 ] && [ "$(id -u)" != 0 ]; then
  echo "uninstall.sh: run as root (sudo), or use --dry-run / --root DIR" >&2; exit 2
fi
say() { echo "uninstall.sh: $*"; }
do_() { if [ $DRY = 1 ]; then echo "+ $*"; else "$@"; fi; }
host() {  # host-level command: only on a real uninstall
  if [ $DRY = 1 ] || [ -n "$ROOT" ]; then echo "+ (host) $1"; return 0; fi
  sh -c "$1" || true
}

host "systemctl disable --now alpr-edge.service"
for file in /etc/systemd/system/alpr-edge.service /etc/udev/rules.d/60-alpr-edge-gps.rules \
            /etc/systemd/journald.conf.d/60-alpr-edge.conf /etc/polkit-1/rules.d/50-alpr-edge-poweroff.rules \
            /usr/local/bin/alpr-edge /etc/systemd/system/multi-user.target.wants/alpr-edge.service; do
  if [ -e "$ROOT$file" ] || [ -L "$ROOT$file" ]; then do_ rm -f "$ROOT$file"; say "removed $file"; fi
done
for folder in /opt/alpr-edge /usr/share/alpr-edge; do
  [ -d "$ROOT$folder" ] && { do_ rm -rf "$ROOT$folder"; say "removed $folder"; }
done
host "systemctl daemon-reload"
host "udevadm control --reload-rules"
host "systemctl restart systemd-journald"

data="$ROOT/var/lib/alpr-edge"
if [ $WIPE = 0 ]; then
  say "kept the configuration (/etc/alpr-edge) and the data (/var/lib/alpr-edge); --wipe crypto-shreds them"
  exit 0
fi
# Keys first: once they are gone the rest is ciphertext nobody can open, even
# if deleting the (much larger) data is interrupted.
if [ -d "$data/keys" ]; then
  for key in "$data"/keys/* "$data"/keys/.[!.]*; do
    [ -f "$key" ] || continue
    do_ shred --force --zero --iterations=1 --remove "$key"
  done
  do_ rm -rf "$data/keys"
  [ $DRY = 1 ] || sync
  say "destroyed the keys in /var/lib/alpr-edge/keys"
fi
[ -d "$data" ] && { do_ rm -rf "$data"; say "removed the data /var/lib/alpr-edge"; }
[ -d "$ROOT/etc/alpr-edge" ] && { do_ rm -rf "$ROOT/etc/alpr-edge"; say "removed /etc/alpr-edge"; }
host "getent passwd alpr-edge >/dev/null && userdel alpr-edge"
say "wiped"
