// The service of the HA bench: a UDP echo that answers each datagram with the datagram and the
// name of the node that answered (FTC_BOARD under ftc, argv[2] under keepalived).
import { createSocket } from 'node:dgram';

const node = process.env.FTC_BOARD ?? process.argv[2] ?? '?';
const port = Number(process.env.FTC_HA_PORT ?? 7777);
const s = createSocket('udp4');
s.on('message', (m, r) => s.send(Buffer.concat([m, Buffer.from(` ${node}`)]), r.port, r.address));
s.bind(port, '0.0.0.0');
process.on('SIGTERM', () => process.exit(0));
