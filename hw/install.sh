#!/usr/bin/env bash
# Install ftc on a Raspberry Pi OS (Debian bookworm) board. Idempotent: run it again after an
# update or a config change; every step checks before it acts.
#
#   sudo hw/install.sh --config hw/examples/b1.yaml --key /path/to/rig.key
#   sudo hw/install.sh --config hw/examples/b1.yaml --generate-key   # first board only; copy
#                                                                    # /etc/ftc/rig.key to the others
# Options:
#   --config FILE      board config to install as /etc/ftc/board.yaml (required the first time)
#   --key FILE         rig key (32+ random bytes, the same on every board) for /etc/ftc/rig.key
#   --generate-key     create /etc/ftc/rig.key if it does not exist yet
#   --prefix DIR       where the code goes (default /opt/ftc)
#   --boot-config      also add the UART/I²C/watchdog lines to /boot/firmware/config.txt
#   --no-enable        install but do not enable the systemd unit
#   --start            (re)start ftc at the end
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX=/opt/ftc
CONFIG=""
KEY=""
GENERATE_KEY=0
BOOT_CONFIG=0
ENABLE=1
START=0
NODE_MIN_MAJOR=20
NODE_MIN_MINOR=11
FTC_USER=ftc
FTC_GROUPS=(gpio i2c dialout watchdog)

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --config) CONFIG="${2:?--config needs a file}"; shift 2 ;;
    --key) KEY="${2:?--key needs a file}"; shift 2 ;;
    --generate-key) GENERATE_KEY=1; shift ;;
    --prefix) PREFIX="${2:?--prefix needs a directory}"; shift 2 ;;
    --boot-config) BOOT_CONFIG=1; shift ;;
    --no-enable) ENABLE=0; shift ;;
    --start) START=1; shift ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

[[ $(id -u) -eq 0 ]] || die "run as root (sudo $0 ...)"

# --- Node: package.json engines says >= 20.11; bookworm's own nodejs is 18.
command -v node >/dev/null || die "node not found; install Node >= ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR} (e.g. the NodeSource 20.x or 22.x packages) and run again"
node_version="$(node --version)"
IFS=. read -r node_major node_minor _ <<<"${node_version#v}"
if (( node_major < NODE_MIN_MAJOR || (node_major == NODE_MIN_MAJOR && node_minor < NODE_MIN_MINOR) )); then
  die "node ${node_version} is too old; install Node >= ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR} and run again"
fi
NODE_BIN="$(command -v node)"

# --- user and groups
for g in "${FTC_GROUPS[@]}"; do
  if ! getent group "$g" >/dev/null; then
    groupadd --system "$g"
    say "created group $g"
  fi
done
if ! id -u "$FTC_USER" >/dev/null 2>&1; then
  useradd --system --user-group --home-dir /var/lib/ftc --no-create-home --shell /usr/sbin/nologin "$FTC_USER"
  say "created user $FTC_USER"
fi
for g in "${FTC_GROUPS[@]}"; do
  if ! id -nG "$FTC_USER" | tr ' ' '\n' | grep -qx "$g"; then
    usermod -aG "$g" "$FTC_USER"
    say "added $FTC_USER to $g"
  fi
done

# --- code: owned by root, read-only to ftc (a compromised ftc cannot rewrite itself)
install -d -o root -g root -m 0755 "$PREFIX"
if [[ "$SRC_DIR" != "$PREFIX" ]]; then
  # cp -a of a tree is idempotent; stale files from an older version are removed first.
  for item in bin src hw package.json package-lock.json tsconfig.json README.md; do
    if [[ -e "$SRC_DIR/$item" ]]; then
      rm -rf "${PREFIX:?}/$item"
      cp -a "$SRC_DIR/$item" "$PREFIX/$item"
    fi
  done
  chown -R root:root "$PREFIX"
fi
# Native modules (onoff/epoll, i2c-bus, serialport) must be built for this board: install here.
if [[ ! -d "$PREFIX/node_modules" || "$PREFIX/package-lock.json" -nt "$PREFIX/node_modules" ]]; then
  say "installing npm dependencies in $PREFIX (builds native modules)"
  # All dependencies first (the TypeScript compiler builds dist/ in prepare), then drop the dev ones.
  (cd "$PREFIX" && npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund)
  touch "$PREFIX/node_modules"
fi

# --- configuration
install -d -o root -g "$FTC_USER" -m 0750 /etc/ftc
if [[ -n "$CONFIG" ]]; then
  [[ -f "$CONFIG" ]] || die "config $CONFIG not found"
  install -o root -g "$FTC_USER" -m 0640 "$CONFIG" /etc/ftc/board.yaml
  say "installed $CONFIG as /etc/ftc/board.yaml"
elif [[ ! -f /etc/ftc/board.yaml ]]; then
  die "no /etc/ftc/board.yaml yet: pass --config hw/examples/bN.yaml (edited for this board)"
fi
if [[ -n "$KEY" ]]; then
  [[ -f "$KEY" ]] || die "key $KEY not found"
  (( $(stat -c %s "$KEY") >= 32 )) || die "key $KEY is shorter than 32 bytes"
  install -o "$FTC_USER" -g "$FTC_USER" -m 0400 "$KEY" /etc/ftc/rig.key
  say "installed the rig key"
elif [[ ! -f /etc/ftc/rig.key && $GENERATE_KEY -eq 1 ]]; then
  (umask 077 && head -c 32 /dev/urandom > /etc/ftc/rig.key)
  chown "$FTC_USER:$FTC_USER" /etc/ftc/rig.key
  chmod 0400 /etc/ftc/rig.key
  say "generated /etc/ftc/rig.key: copy this same file to the other boards (scp, then --key)"
fi
install -d -o "$FTC_USER" -g "$FTC_USER" -m 0750 /var/lib/ftc /var/lib/ftc/events

# --- boot configuration (opt-in): one marked block, replaced on every run
if [[ $BOOT_CONFIG -eq 1 ]]; then
  boot_txt=/boot/firmware/config.txt
  [[ -f $boot_txt ]] || boot_txt=/boot/config.txt
  [[ -f $boot_txt ]] || die "no config.txt found under /boot"
  block=$'# >>> ftc (hw/install.sh --boot-config)\ndtparam=i2c_arm=on\ndtparam=watchdog=on\ndtoverlay=disable-bt\ndtoverlay=uart3\ndtoverlay=uart5\n# inputs: power-good with pull-up, service button with pull-down\ngpio=17,27=ip,pu\ngpio=16=ip,pd\n# <<< ftc'
  tmp="$(mktemp)"
  awk '/^# >>> ftc/{skip=1} !skip{print} /^# <<< ftc/{skip=0}' "$boot_txt" > "$tmp"
  printf '%s\n' "$block" >> "$tmp"
  if ! cmp -s "$tmp" "$boot_txt"; then
    cp "$boot_txt" "$boot_txt.ftc-backup"
    cat "$tmp" > "$boot_txt"
    say "updated $boot_txt (backup in $boot_txt.ftc-backup); reboot to apply"
  fi
  rm -f "$tmp"
  # i2c-dev gives /dev/i2c-N.
  echo i2c-dev > /etc/modules-load.d/ftc-i2c-dev.conf
fi

# --- udev rules and systemd unit
install -o root -g root -m 0644 "$SRC_DIR/hw/udev/99-ftc.rules" /etc/udev/rules.d/99-ftc.rules
if command -v udevadm >/dev/null; then
  udevadm control --reload-rules || true
  udevadm trigger --action=add --subsystem-match=gpio --subsystem-match=i2c-dev --subsystem-match=tty --subsystem-match=watchdog --subsystem-match=misc || true
fi
sed "s#/usr/bin/node #${NODE_BIN} #; s#/opt/ftc#${PREFIX}#g" "$SRC_DIR/hw/systemd/ftc.service" > /etc/systemd/system/ftc.service.new
if ! cmp -s /etc/systemd/system/ftc.service.new /etc/systemd/system/ftc.service 2>/dev/null; then
  mv /etc/systemd/system/ftc.service.new /etc/systemd/system/ftc.service
  chmod 0644 /etc/systemd/system/ftc.service
  systemctl daemon-reload
  say "installed ftc.service"
else
  rm -f /etc/systemd/system/ftc.service.new
fi
if [[ $ENABLE -eq 1 ]]; then
  systemctl enable ftc.service >/dev/null
  say "ftc.service enabled"
fi

# --- check the machine against the config (non-fatal: a reboot may still be pending)
say "running ftc doctor"
runuser -u "$FTC_USER" -- "$NODE_BIN" "$PREFIX/bin/ftc.js" doctor --config /etc/ftc/board.yaml || say "ftc doctor reported problems (see above)"

if [[ $START -eq 1 ]]; then
  systemctl restart ftc.service
  say "ftc.service (re)started; follow it with: journalctl -fu ftc"
fi
