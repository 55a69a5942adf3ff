/**
 * Every default of a board config, in one place. A key left out of the YAML takes the value here.
 * Keys without a default (board id, rig, pins, links, auth, I²C addresses) must be written out:
 * guessing them would wire the wrong line.
 */
export const DEFAULTS = {
  /** PL011 UARTs on Pi 4/5 run from a 48 MHz clock: divisor 3 + 16/64 gives 923 kBd, 0.16 % off 921600, well within
   *  UART tolerance (~2 %). At 100 Hz a cycle's frames (~200 B) need ~20 kB/s, under the ~92 kB/s this carries. */
  serialBaudRate: 921_600,
  /** UDP: bind every interface, one port for the whole rig. */
  udpBind: '0.0.0.0',
  udpPort: 47_110,
  /** Lockstep cycle rate. Timer lateness measured on a 2-core dev machine puts ~100 Hz with a few ms of tolerance within reach (docs/timing.md); 50 leaves margin. */
  cycleHz: 50,
  watchdog: {
    kind: 'dev' as const,
    device: '/dev/watchdog',
    /** Under the Pi's bcm2835_wdt maximum (~15 s, larger values were taken modulo 16). */
    timeoutMs: 10_000,
    /** The supervision gate feeds at most this often; must be <= timeoutMs / 2 (systemd's WATCHDOG_USEC/2 rule). */
    feedPeriodMs: 1_000,
  },
  redundancy: {
    /** Keep running on two boards (2oo2, stop on disagreement) after one is voted out. */
    allowDuplex: true,
    /** Keep running on one board: no voting at all, off unless the plant can tolerate it. */
    allowSimplex: false,
    /** A repaired board must match the majority for this many consecutive cycles (10 s at 50 Hz) before it votes again. */
    cleanCyclesToRejoin: 500,
  },
  console: {
    /** Fault injection from the console: lab rigs only. */
    allowInject: false,
  },
  eventLog: {
    dir: '/var/lib/ftc/events',
    bytesMax: 4 * 1024 * 1024,
    filesMax: 8,
  },
  button: {
    /** Hold the maintenance button this long to take the board out for service. */
    holdMs: 3_000,
    /** Contact bounce of a tactile switch settles within ~5-10 ms; 20 ms is safe. */
    debounceMs: 20,
  },
  thermal: {
    /** The SoC's zone on a Pi and a BeagleBone. */
    zone: 'thermal_zone0',
    /** A Pi's firmware throttles from 80 °C (Raspberry Pi documentation, "Frequency management and thermal control"): hand over at 80. */
    handOverC: 80,
    /** Ok again below 75 °C: the hysteresis keeps a board near the limit from flapping. */
    clearC: 75,
  },
  /** INA219 breakout boards (Adafruit 904 and clones) carry a 0.1 Ω shunt. */
  ina219ShuntMilliohms: 100,
} as const;
