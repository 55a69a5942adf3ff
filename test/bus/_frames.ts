/** Shared fixtures for the bus tests. */
import { hmacSha256 } from '../../src/bus/auth-node.ts';
import { FrameCodec } from '../../src/bus/frame.ts';

export const testKey = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
export const otherKey = Uint8Array.from({ length: 32 }, (_, i) => (i * 53 + 3) & 0xff);
export const keyedCodec = (key: Uint8Array = testKey) => new FrameCodec({ mode: 'hmac', key, mac: hmacSha256 });
export const labCodec = () => new FrameCodec({ mode: 'none-lab' });
