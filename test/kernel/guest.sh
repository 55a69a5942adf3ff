#!/bin/sh
# Inside the guest, in a chroot of the host's root (test/kernel/init.sh): one suite.
#   devices  the kernel's drivers through our adapters: ava on test/kernel/*.kernel.ts
#   abandon  arm softdog through our driver, feed, then stop without the magic 'V': the guest
#            must be reset (the runner reads the console for softdog's reboot message)
#   stall    a supervised task stops checking in; our feed gate stops feeding: reset
#   nowayout softdog nowayout=1 (init.sh): a clean disarm cannot stop it: reset
#   perms    our adapters as the user ftc, without and with hw/udev/99-ftc.rules (perms.sh)
#   board    three `ftc run` boards on gpio-sim, i2c-stub and softdog; ends with b1 stalled: reset
cd "$1" || exit 2
export HOME=/tmp TMPDIR=/tmp FTC_KERNEL_GUEST=1 PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
case "$2" in
  devices) exec node node_modules/ava/entrypoints/cli.mjs --config ava.kernel.config.js --tap ;;
  perms) exec sh test/kernel/perms.sh ;;
  board) exec node --import=tsx test/kernel/board-guest.ts ;;
  abandon|stall|nowayout) exec node --import=tsx test/kernel/reset-guest.ts "$2" ;;
  *) echo "guest.sh: no suite $2"; exit 2 ;;
esac
