// The client of the HA bench: one datagram to VIP:port every millisecond; on SIGTERM (or stdin
// closing) it prints, as one JSON line, every reply's arrival (wall-clock ms, to compare with
// the kill's time) and the node that sent it. The outage is the longest gap between replies.
import { createSocket } from 'node:dgram';

const [vip, portText] = [process.argv[2], process.argv[3] ?? '7777'];
const port = Number(portText);
const s = createSocket('udp4');
const t = [];
const who = [];
const names = [];
let seq = 0;
s.on('message', (m) => {
  const name = m.toString().split(' ')[1] ?? '?';
  let i = names.indexOf(name);
  if (i < 0) i = names.push(name) - 1;
  const now = performance.timeOrigin + performance.now();
  // A new node answering is said at once: the bench waits for the first, and learns the holder.
  if (who.length === 0 || who[who.length - 1] !== i) process.stdout.write(`${JSON.stringify({ node: name, t: now })}\n`);
  t.push(now);
  who.push(i);
});
s.on('error', () => {}); // ICMP unreachable while nobody holds the address: a missed reply, nothing more
const timer = setInterval(() => s.send(String(seq++), port, vip, () => {}), 1);
const done = () => {
  clearInterval(timer);
  process.stdout.write(`${JSON.stringify({ sent: seq, names, t: t.map((x) => Math.round(x * 10) / 10), who })}\n`, () => process.exit(0));
};
process.on('SIGTERM', done);
process.stdin.on('end', done);
process.stdin.resume();
