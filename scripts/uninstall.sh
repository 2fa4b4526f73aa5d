#!/usr/bin/env bash
# Removes alpr-edge from this machine. Data and configuration stay unless --wipe.
#
#   sudo scripts/uninstall.sh            stop and remove the service, software, rules; keep
#                                        /etc/alpr-edge and /var/lib/alpr-edge (reinstall picks them up)
#   sudo scripts/uninstall.sh --wipe     also crypto-shred the data: the keys are destroyed first
#                                        (overwritten, then deleted), so the database and any copy of
#                                        it are unreadable ciphertext, then the data, the
#                                        configuration and the service user are removed.
#                                        Asks you to type WIPE first (or pass --yes), and refuses while
#                                        evidence holds are in force (alpr-edge hold list) unless
#                                        --including-held-evidence says they are to be destroyed too.
#   --dry-run                            say what it would do, change nothing
#   --root DIR                           uninstall from a staging root (an image, a test): every path it
#                                        reads, removes or names is DIR's, reported as on the device;
#                                        host commands (systemctl, udevadm, userdel) are printed, not run
#                                        (an image's own user database, DIR/etc/passwd, is edited with
#                                        userdel --root DIR on --wipe); a link in DIR that leads out of
#                                        it is refused before anything changes
#
# Flash storage may keep old blocks of a deleted file; what makes the data
# unrecoverable is that the key-encryption key is gone, not the overwrite.
set -euo pipefail
ROOT=""; DRY=0; WIPE=0; YES=0; HELD_TOO=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="$(realpath -m "${2:?--root needs a folder}")"; shift ;;
    --root=*) ROOT="$(realpath -m "${1#--root=}")" ;;
    --dry-run) DRY=1 ;;
    --wipe) WIPE=1 ;;
    --yes) YES=1 ;;
    --including-held-evidence) HELD_TOO=1 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ "$ROOT" = / ] && ROOT=""   # the machine itself
if [ -z "$ROOT" ] && [ $DRY = 0 ] && [ "$(id -u)" != 0 ]; then
  echo "uninstall.sh: run as root (sudo), or use --dry-run / --root DIR" >&2; exit 2
fi
say() { echo "uninstall.sh: $*"; }
# What was done, or in a dry run what would be: report "removed X" "would remove X".
report() { if [ $DRY = 1 ]; then say "$2"; else say "$1"; fi; }
data="$ROOT/var/lib/alpr-edge"
FILES=(/etc/systemd/system/alpr-edge-kiosk.service /etc/systemd/system/multi-user.target.wants/alpr-edge-kiosk.service
       /etc/systemd/system/alpr-edge.service /etc/udev/rules.d/60-alpr-edge-gps.rules
       /etc/systemd/journald.conf.d/60-alpr-edge.conf /etc/polkit-1/rules.d/50-alpr-edge-poweroff.rules
       /usr/local/bin/alpr-edge /etc/systemd/system/multi-user.target.wants/alpr-edge.service)
FOLDERS=(/opt/alpr-edge /usr/share/alpr-edge)

# With --root, a link inside DIR may lead out of it (an image's absolute links, /etc -> /etc, read from
# outside the image point at this machine): followed, a wipe would shred this machine's keys. Each path is
# walked from DIR down; the first part of it that really lies outside DIR is named, with where it leads.
# "whole": the path itself is followed (a folder gone into, a key shredded); else only its folder (a file or
# link that is only unlinked: the wants links point at /etc/systemd/system on purpose).
leads_out() {
  [ -n "$ROOT" ] || return 1
  local path="$1" part="" real name names
  [ "${2:-}" = whole ] || path="$(dirname "$path")"
  IFS=/ read -ra names <<< "${path#/}"
  for name in "${names[@]}"; do
    part="$part/$name"
    real="$(realpath -m -- "$ROOT$part" 2>/dev/null)" || { echo "$part a link that cannot be resolved"; return 0; }
    case "$real" in "$ROOT" | "$ROOT"/*) ;; *) echo "$part $real"; return 0 ;; esac
  done
  return 1
}
declare -A escapes=()
out_of_root() { local found; if found="$(leads_out "$@")"; then escapes["${found%% *}"]="${found#* }"; fi; }
for file in "${FILES[@]}"; do out_of_root "$file"; done
for folder in "${FOLDERS[@]}" /etc/alpr-edge /var/lib/alpr-edge /var/lib/alpr-edge/keys /var/lib/alpr-edge/alpr.db \
              /var/lib/alpr-edge-kiosk; do
  out_of_root "$folder" whole
done
if [ ${#escapes[@]} = 0 ] && [ -d "$data/keys" ]; then
  for key in "$data"/keys/* "$data"/keys/.[!.]*; do
    if [ -e "$key" ] || [ -L "$key" ]; then out_of_root "${key#"$ROOT"}" whole; fi
  done
fi
if [ ${#escapes[@]} -gt 0 ]; then
  for link in "${!escapes[@]}"; do echo "uninstall.sh: refusing: $link leads out of the root (to ${escapes[$link]})" >&2; done
  echo "uninstall.sh: with --root, the device's files must lie inside $ROOT; nothing was changed." >&2
  exit 1
fi

# Evidence holds in force (case numbers), from the database's clear columns; read-only, before anything changes.
held_evidence() {
  [ -f "$data/alpr.db" ] || return 0
  python3 - "$data/alpr.db" <<'PY'
import sqlite3, sys
try:
    conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    count, cases = conn.execute("SELECT count(*), group_concat(DISTINCT case_number) FROM holds WHERE released_at IS NULL").fetchone()
except sqlite3.Error as error:
    print(f"unknown: the database cannot be read ({error})")
    sys.exit(0)
if count:
    print(f"{count} hold(s), case(s) {cases}")
PY
}

# A wipe destroys evidence for good: it is checked and confirmed before anything is touched.
if [ $WIPE = 1 ]; then
  holds="$(held_evidence)"
  if [ -n "$holds" ] && [ $HELD_TOO = 0 ]; then
    echo "uninstall.sh: refusing to wipe: evidence holds are in force ($holds)." >&2
    echo "uninstall.sh: release them (alpr-edge hold release ID --reason ...) or hand the data over first; to destroy them" >&2
    echo "uninstall.sh: anyway, add --including-held-evidence. Nothing was changed." >&2
    exit 1
  fi
  held_too=""; [ -n "$holds" ] && held_too=" (held evidence too: $holds)"
  if [ $YES = 0 ] && [ $DRY = 0 ]; then
    if [ ! -t 0 ]; then
      echo "uninstall.sh: --wipe destroys the keys and every read$held_too for good; no terminal to confirm on: pass --yes" >&2
      exit 2
    fi
    printf 'uninstall.sh: --wipe destroys the keys, every read%s and the configuration for good. Type WIPE to go on: ' "$held_too"
    read -r answer || answer=""
    if [ "$answer" != WIPE ]; then echo "uninstall.sh: not wiped; nothing was changed." >&2; exit 1; fi
  fi
  # Said once it is decided, not before the question (it read "destroying" and then "nothing was changed").
  [ -n "$holds" ] && say "destroying held evidence as told (--including-held-evidence): $holds"
fi
do_() { if [ $DRY = 1 ]; then echo "+ $*"; else "$@"; fi; }
host() {  # host-level command: only on a real uninstall
  if [ $DRY = 1 ] || [ -n "$ROOT" ]; then echo "+ (host) $1"; return 0; fi
  sh -c "$1" || true
}

host "systemctl disable --now alpr-edge-kiosk.service alpr-edge.service"
for file in "${FILES[@]}"; do
  if [ -e "$ROOT$file" ] || [ -L "$ROOT$file" ]; then do_ rm -f "$ROOT$file"; report "removed $file" "would remove $file"; fi
done
for folder in "${FOLDERS[@]}"; do
  if [ -d "$ROOT$folder" ]; then do_ rm -rf "$ROOT$folder"; report "removed $folder" "would remove $folder"; fi
done
host "systemctl daemon-reload"
host "udevadm control --reload-rules"
host "systemctl restart systemd-journald"

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
  report "destroyed the keys in /var/lib/alpr-edge/keys" "would destroy the keys in /var/lib/alpr-edge/keys"
fi
if [ -d "$data" ]; then do_ rm -rf "$data"; report "removed the data /var/lib/alpr-edge" "would remove the data /var/lib/alpr-edge"; fi
if [ -d "$ROOT/etc/alpr-edge" ]; then do_ rm -rf "$ROOT/etc/alpr-edge"; report "removed /etc/alpr-edge" "would remove /etc/alpr-edge"; fi
if [ -z "$ROOT" ]; then
  host "getent passwd alpr-edge >/dev/null && userdel alpr-edge"
  host "getent passwd alpr-kiosk >/dev/null && userdel alpr-kiosk; rm -rf /var/lib/alpr-edge-kiosk"
else  # a staging root: its own user database (install.sh --root put the users there when it had one)
  for user in alpr-edge alpr-kiosk; do
    if grep -qs "^$user:" "$ROOT/etc/passwd"; then do_ userdel --root "$ROOT" "$user"; report "removed the user $user" "would remove the user $user"; fi
  done
  if [ -d "$ROOT/var/lib/alpr-edge-kiosk" ]; then
    do_ rm -rf "$ROOT/var/lib/alpr-edge-kiosk"; report "removed /var/lib/alpr-edge-kiosk" "would remove /var/lib/alpr-edge-kiosk"
  fi
fi
report "wiped" "dry run: nothing was changed"
