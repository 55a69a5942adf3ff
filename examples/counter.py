#!/usr/bin/env python3
"""A program for ftc's process class (`ftc sim --process "python3 examples/counter.py"`).

It counts: every 50 ms it adds one to the number in $FTC_STATE_DIR/count and writes it back
atomically (a temporary file, then a rename), so the state directory ftc replicates always holds
a whole number. It starts from whatever count the state directory holds: after a failover, the
newest one a peer acknowledged.

If FTC_DUAL_LOCK names a file, it also holds an exclusive lock on it while it runs and says
DUAL on stderr and exits 3 when another instance already holds it: a check, independent of ftc,
that the program never runs twice at once (in the simulator all boards share one machine).

If FTC_COUNTER_MARK_EVERY=N, it runs `ftc sync` after every N counts (the process class with
syncOn: mark): only those counts travel, so a new holder always starts at a multiple of N.
FTC_CLI names the ftc command (default: ftc on the PATH).

If NOTIFY_SOCKET is set (the process class sets it when watchdogMs or syncOn: mark asks for
it), it says READY=1 at start and WATCHDOG=1 at every count, as a systemd service would
(sd_notify(3)); FTC_COUNTER_SILENT_AFTER=N stops the WATCHDOG=1 after N counts while it keeps
counting: alive, but no longer saying so, which the board's watchdogMs catches.

If FTC_COUNTER_IGNORE_TERM=1 it ignores SIGTERM, as a program busy in a long shutdown does: a
board that must stop it at once has to use SIGKILL.
"""
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time

if os.environ.get("FTC_COUNTER_IGNORE_TERM") == "1":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

state = os.environ["FTC_STATE_DIR"]
board = os.environ.get("FTC_BOARD", "?")
lock_path = os.environ.get("FTC_DUAL_LOCK")
if lock_path:
    lock = open(lock_path, "a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"DUAL: counter on {board} found another instance running", file=sys.stderr, flush=True)
        sys.exit(3)

path = os.path.join(state, "count")
try:
    with open(path) as f:
        count = int(f.read().strip() or 0)
except FileNotFoundError:
    count = 0
mark_every = int(os.environ.get("FTC_COUNTER_MARK_EVERY", "0"))
notify_path = os.environ.get("NOTIFY_SOCKET")
silent_after = int(os.environ.get("FTC_COUNTER_SILENT_AFTER", "0"))
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) if notify_path else None


def say(text):
    try:
        notify.sendto(text.encode(), notify_path)
    except OSError:
        pass  # the board is restarting: nothing to tell


if notify:
    say("READY=1")
started = count
ftc = os.environ.get("FTC_CLI", "ftc")
print(f"counter on {board} starts at {count}", file=sys.stderr, flush=True)
while True:
    count += 1
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{count}\n")
    os.replace(tmp, path)
    if notify and not (silent_after and count - started > silent_after):
        say("WATCHDOG=1")
    if mark_every and count % mark_every == 0:
        # ftc sync copies the directory before it returns: this count is the point.
        subprocess.run([ftc, "sync"], check=False)
    time.sleep(0.05)
