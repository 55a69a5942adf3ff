#!/bin/busybox sh
# PID 1 of the kernel suite's guest (test/kernel/run.ts packs it into the initramfs as /init).
# Loads the drivers under test, mounts the host's root read-only over 9p (virtio), and runs
# test/kernel/guest.sh in a chroot of it, so the guest runs the host's own node and the native
# addons npm ci built. Prints FTC-KERNEL-EXIT <code>, then powers off (QEMU runs with -no-reboot:
# a watchdog reset ends QEMU too, and the console log tells the two apart).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
suite=$(sed -n 's/.*ftc\.suite=\([a-z-]*\).*/\1/p' /proc/cmdline)
nowayout=$(sed -n 's/.*ftc\.nowayout=\([01]\).*/\1/p' /proc/cmdline)
# Drivers, in dependency order (modprobe --show-depends at build time); parameters per module:
# i2c-stub: Documentation/i2c/i2c-stub.rst; softdog: drivers/watchdog/softdog.c.
while read -r m; do
  case "$m" in
    i2c-stub.ko) insmod "/mod/$m" chip_addr=0x40,0x50 ;;
    softdog.ko) insmod "/mod/$m" nowayout="${nowayout:-0}" ;;
    *) insmod "/mod/$m" ;;
  esac
done < /modules.order
mkdir -p /host
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose host /host || { echo "init: 9p mount failed"; poweroff -f; }
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
# gpio-sim is configured through configfs (Documentation/admin-guide/gpio/gpio-sim.rst); the tests make their chips.
mount -t configfs configfs /host/sys/kernel/config
mount -t devtmpfs dev /host/dev
checkout=$(cat /checkout)
# The guest's /tmp is a tmpfs (tsx and the tests write there). A checkout under the host's /tmp
# (a CI clone) would vanish under it: keep it and bind it back on top.
case "$checkout" in /tmp/*) mkdir -p /keep && mount -o bind "/host$checkout" /keep ;; esac
mount -t tmpfs tmp /host/tmp
case "$checkout" in /tmp/*) mkdir -p "/host$checkout" && mount -o bind /keep "/host$checkout" ;; esac
mount -t tmpfs run /host/run
# devtmpfs lacks these; node and shells expect them.
ln -sf /proc/self/fd /host/dev/fd
ln -sf /proc/self/fd/0 /host/dev/stdin
ln -sf /proc/self/fd/1 /host/dev/stdout
ln -sf /proc/self/fd/2 /host/dev/stderr
mkdir -p /host/dev/shm
# ptys (the whole-board suite's serial links and consoles): devpts, with /dev/ptmx its own.
mkdir -p /host/dev/pts
mount -t devpts -o ptmxmode=0666,mode=0620 devpts /host/dev/pts
ln -sf pts/ptmx /host/dev/ptmx
echo "init: suite ${suite:-devices} in ${checkout}"
chroot /host /bin/sh "${checkout}/test/kernel/guest.sh" "${checkout}" "${suite:-devices}"
echo "FTC-KERNEL-EXIT $?"
poweroff -f
