/**
 * A simulated bonded NIC pair: the text of /proc/net/bonding/<bond> for an active-backup bond, as
 * drivers/net/bonding/bond_procfs.c writes it, for NicMonitor to parse in `ftc sim` (written to a
 * file) and in the seeded simulator (read from memory).
 */
/** /proc/net/bonding/<bond> as the kernel writes it for an active-backup bond (for NicMonitor). */
export function bondingText(slaves: Record<string, boolean>): string {
  const names = Object.keys(slaves);
  const active = names.find((n) => slaves[n]) ?? 'None';
  return [
    'Ethernet Channel Bonding Driver: v6.1.0-sim', '',
    'Bonding Mode: fault-tolerance (active-backup)',
    `Primary Slave: ${names[0]} (primary_reselect always)`,
    `Currently Active Slave: ${active}`,
    `MII Status: ${names.some((n) => slaves[n]) ? 'up' : 'down'}`,
    'MII Polling Interval (ms): 100', 'Up Delay (ms): 0', 'Down Delay (ms): 0', 'Peer Notification Delay (ms): 0', '',
    ...names.flatMap((n, i) => [
      `Slave Interface: ${n}`, `MII Status: ${slaves[n] ? 'up' : 'down'}`, `Speed: ${slaves[n] ? '1000 Mbps' : 'Unknown'}`,
      `Duplex: ${slaves[n] ? 'full' : 'Unknown'}`, `Link Failure Count: ${slaves[n] ? 0 : 1}`, `Permanent HW addr: dc:a6:32:00:00:0${i}`,
      'Slave queue ID: 0', '',
    ]),
  ].join('\n');
}

