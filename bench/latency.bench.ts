/**
 * Message latency on this machine, as the seeded simulator models it (src/sim/latency-data.ts):
 * - pty: a 100-byte frame from one process through a PtyCable (two real ptys relayed by a third
 *   party, as `ftc sim` does) to an echo process and back, both ends through serialport's native
 *   binding; one-way = round trip / 2.
 * - udp: the same over loopback UDP (node:dgram) to the echo process and back.
 * One frame every 2 ms (the rig sends a few per period), FTC_BENCH_LATENCY_FRAMES of each
 * (default 5000). Prints quantiles (ms) ready to paste into src/sim/latency-data.ts.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { PtyCable } from '../src/adapters/sim/pty-cable.ts';
import { openSerialLink } from '../src/adapters/real/serial.ts';

const quantiles = [0, 0.5, 0.9, 0.99, 0.999, 1];

function summarize(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return quantiles.map((q) => ({ q, ms: Math.round(s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]! * 1000) / 1000 }));
}

const echoSource = `
const { SerialPort } = require('serialport');
const dgram = require('node:dgram');
const [path, udpPort] = process.argv.slice(1);
const port = new SerialPort({ path, baudRate: 921600 });
port.on('data', (d) => port.write(d));
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.bind(Number(udpPort), '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

export default async function latencyBench(): Promise<Record<string, unknown>> {
  const frames = Number(process.env.FTC_BENCH_LATENCY_FRAMES ?? 5000);
  const cable = await PtyCable.open();
  const udpPort = 40000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, ['-e', echoSource, cable.pathB, String(udpPort)], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
  await new Promise<void>((res) => child.stdout.once('data', () => res()));
  const link = await openSerialLink({ path: cable.pathA, baudRate: 921600 });
  const sock = createSocket('udp4');
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));

  const frame = Buffer.alloc(100, 0x55);
  const run = async (send: (b: Buffer) => void, onEcho: (fn: () => void) => void): Promise<number[]> => {
    const oneWay: number[] = [];
    let sentAt = 0;
    let waiting: (() => void) | null = null;
    onEcho(() => {
      oneWay.push((performance.now() - sentAt) / 2);
      waiting?.();
    });
    for (let i = 0; i < frames; i++) {
      await new Promise<void>((res) => {
        waiting = res;
        sentAt = performance.now();
        send(frame);
        setTimeout(() => { waiting = null; res(); }, 50); // a lost echo does not stall the bench
      });
      await new Promise((r) => setTimeout(r, 2));
    }
    return oneWay;
  };
  let serialBuf = 0;
  const pty = await run((b) => link.write(b), (fn) => link.onData((d) => { serialBuf += d.length; if (serialBuf >= frame.length) { serialBuf -= frame.length; fn(); } }));
  const udp = await run((b) => sock.send(b, udpPort, '127.0.0.1'), (fn) => sock.on('message', () => fn()));
  child.kill();
  sock.close();
  await link.close();
  await cable.close();
  return { frames, frameBytes: frame.length, ptyOneWayMs: summarize(pty), udpOneWayMs: summarize(udp), measured: new Date().toISOString() };
}
