#!/bin/sh
# The `perms` suite (run by guest.sh as root, in the guest's chroot of the host's root): our
# adapters as the unprivileged user `ftc`, before and after udevd applied hw/udev/99-ftc.rules
# and nothing else (test/kernel/perms-guest.ts prints the checks).
set -u
user=ftc
# The user and the groups hw/install.sh makes, in copies of /etc/passwd and /etc/group bound over
# the read-only originals.
cp /etc/passwd /etc/group /tmp/
grep -q "^$user:" /tmp/passwd || echo "$user:x:990:990:ftc:/tmp:/bin/sh" >> /tmp/passwd
grep -q "^$user:" /tmp/group || echo "$user:x:990:" >> /tmp/group
gid=991
for g in gpio i2c watchdog; do
  if grep -q "^$g:" /tmp/group; then
    sed -i "s/^\($g:[^:]*:[^:]*:\)\(.\{1,\}\)$/\1\2,$user/; s/^\($g:[^:]*:[^:]*:\)$/\1$user/" /tmp/group
  else
    echo "$g:x:$gid:$user" >> /tmp/group
  fi
  gid=$((gid + 1))
done
mount --bind /tmp/passwd /etc/passwd && mount --bind /tmp/group /etc/group || exit 2
echo "perms: $(id $user)"
# A gpio-sim chip for the GPIO checks (Documentation/admin-guide/gpio/gpio-sim.rst).
dev=/sys/kernel/config/gpio-sim/ftc-perm
mkdir "$dev" "$dev/bank0" && echo ftc-perm > "$dev/bank0/label" && echo 8 > "$dev/bank0/num_lines" && echo 1 > "$dev/live" || exit 2
as_user() { setpriv --reuid="$user" --regid="$user" --init-groups env HOME=/tmp node --import=tsx test/kernel/perms-guest.ts "$1"; }
as_user without
without=$?
# udevd with our rules only: empty directories over the distribution's and the admin's rules.
for d in /usr/lib/udev/rules.d /etc/udev/rules.d; do [ -d "$d" ] && mount -t tmpfs norules "$d"; done
mkdir -p /run/udev/rules.d && cp hw/udev/99-ftc.rules /run/udev/rules.d/ || exit 2
# udevd and udevadm refuse to run in a chroot unless told (systemd's SYSTEMD_IGNORE_CHROOT).
export SYSTEMD_IGNORE_CHROOT=1
/usr/lib/systemd/systemd-udevd --daemon || { echo "perms: udevd did not start"; exit 2; }
udevadm trigger --action=add && udevadm settle --timeout=30 || echo "perms: udevadm settle timed out"
ls -l /dev/watchdog /dev/i2c-* /sys/class/gpio/export | sed 's/^/perms: /'
as_user with
with=$?
echo "perms: without ${without}, with ${with}"
[ "$without" = 0 ] && [ "$with" = 0 ]
