/**
 * A process's state directory as one consistent point and back (src/process/state-dir.ts):
 * readStateDir encodes every regular file (bounded), writeStateDir replaces a directory with a
 * point's files by a swap of renames.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { readStateDir, StateDirTooLarge, writeStateDir } from '../../src/process/state-dir.ts';
import { decodeState, encodeState } from '../../src/workload/state-codec.ts';

const BYTES = 48 * 1024;
const FILES = 64;

function tempRoot(t: ExecutionContext): string {
  const root = mkdtempSync(join(tmpdir(), 'ftc-state-dir-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

/** Writes `files` (relative path → bytes) under `dir`, in the order given. */
function populate(dir: string, files: [string, Uint8Array | string][]): void {
  mkdirSync(dir, { recursive: true });
  for (const [rel, data] of files) {
    const p = join(dir, ...rel.split('/'));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  }
}

/** Every regular file under `dir` as relative path → bytes (sorted paths). */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p).split(sep).join('/'), readFileSync(p));
    }
  };
  walk(dir);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

const binary = new Uint8Array([0x00, 0xff, 0x00, 0x7f, 0x80, 0xfe, 0x01, 0x00, 0xff]);

test('files in nested directories round-trip byte for byte, and nothing else appears', (t) => {
  const root = tempRoot(t);
  const src = join(root, 'src');
  populate(src, [['a/b.txt', 'hello\nworld\n'], ['c.bin', binary], ['a/deeper/d/e.json', '{"n":1}'], ['empty', new Uint8Array(0)]]);
  const point = readStateDir(src, BYTES, FILES);
  const dst = join(root, 'dst');
  writeStateDir(dst, point);
  const got = snapshot(dst);
  t.deepEqual([...got.keys()], ['a/b.txt', 'a/deeper/d/e.json', 'c.bin', 'empty']);
  t.deepEqual(new Uint8Array(got.get('c.bin')!), binary);
  t.is(got.get('a/b.txt')!.toString('utf8'), 'hello\nworld\n');
  t.is(got.get('a/deeper/d/e.json')!.toString('utf8'), '{"n":1}');
  t.is(got.get('empty')!.length, 0);
  t.deepEqual(snapshot(dst), snapshot(src));
  // The point itself is the sorted list of [path, bytes].
  const decoded = decodeState(point) as [string, Uint8Array][];
  t.deepEqual(decoded.map(([p]) => p), ['a/b.txt', 'a/deeper/d/e.json', 'c.bin', 'empty']);
  // And reading the copy gives the very same point.
  t.deepEqual(readStateDir(dst, BYTES, FILES), point);
});

test('the encoding is deterministic: the same directory twice, and files created in another order', (t) => {
  const root = tempRoot(t);
  const files: [string, Uint8Array | string][] = [['z.txt', 'last'], ['a/b.txt', 'x'], ['a/a.bin', binary], ['m/n/o', 'deep'], ['b', 'bee']];
  const one = join(root, 'one');
  const two = join(root, 'two');
  populate(one, files);
  populate(two, [...files].reverse());
  const first = readStateDir(one, BYTES, FILES);
  t.deepEqual(readStateDir(one, BYTES, FILES), first);
  t.deepEqual(readStateDir(two, BYTES, FILES), first);
  t.is(Buffer.from(readStateDir(two, BYTES, FILES)).toString('hex'), Buffer.from(first).toString('hex'));
  // A different byte in one file changes the point.
  writeFileSync(join(two, 'b'), 'bed');
  t.notDeepEqual(readStateDir(two, BYTES, FILES), first);
});

test('writeStateDir replaces the old content and leaves no .new or .old beside it', (t) => {
  const root = tempRoot(t);
  const src = join(root, 'src');
  populate(src, [['keep.txt', 'new content'], ['sub/x', 'x2']]);
  const dst = join(root, 'state');
  populate(dst, [['keep.txt', 'old content that is longer'], ['stale.txt', 'gone?'], ['olddir/y', 'y'], ['sub/x', 'x1']]);
  writeStateDir(dst, readStateDir(src, BYTES, FILES));
  t.deepEqual([...snapshot(dst).keys()], ['keep.txt', 'sub/x']);
  t.is(readFileSync(join(dst, 'keep.txt'), 'utf8'), 'new content');
  t.is(readFileSync(join(dst, 'sub/x'), 'utf8'), 'x2');
  t.false(existsSync(join(dst, 'stale.txt')));
  t.false(existsSync(join(dst, 'olddir')));
  t.deepEqual(readdirSync(root).sort(), ['src', 'state']);
  t.false(existsSync(`${dst}.new`));
  t.false(existsSync(`${dst}.old`));
});

test('writeStateDir also clears a .new or .old left by an interrupted earlier write', (t) => {
  const root = tempRoot(t);
  const dst = join(root, 'state');
  populate(dst, [['f', 'current']]);
  populate(`${dst}.new`, [['half', 'half-written']]);
  populate(`${dst}.old`, [['older', 'older']]);
  writeStateDir(dst, encodeState([['f', new Uint8Array([1, 2, 3])]]));
  t.deepEqual([...snapshot(dst).keys()], ['f']);
  t.deepEqual(new Uint8Array(readFileSync(join(dst, 'f'))), new Uint8Array([1, 2, 3]));
  t.deepEqual(readdirSync(root), ['state']);
});

test('writeStateDir(dir, null) leaves an empty directory', (t) => {
  const root = tempRoot(t);
  const dst = join(root, 'state');
  populate(dst, [['a/b.txt', 'x'], ['c', 'y']]);
  writeStateDir(dst, null);
  t.true(statSync(dst).isDirectory());
  t.deepEqual(readdirSync(dst), []);
  t.deepEqual(readdirSync(root), ['state']);
  // And on a directory that does not exist yet.
  const fresh = join(root, 'fresh');
  writeStateDir(fresh, null);
  t.deepEqual(readdirSync(fresh), []);
});

test('a point naming ../evil is refused and writes nothing outside the state directory', (t) => {
  const root = tempRoot(t);
  const dst = join(root, 'state');
  populate(dst, [['mine', 'untouched']]);
  for (const rel of ['../evil', 'a/../../evil', '/evil', 'a//evil']) {
    const point = encodeState([['ok.txt', new Uint8Array([1])], [rel, new Uint8Array([0x65, 0x76, 0x69, 0x6c])]]);
    t.throws(() => writeStateDir(dst, point), { message: /not a path inside the state directory/ }, rel);
    t.false(existsSync(join(root, 'evil')), rel);
    t.false(existsSync('/evil'), rel);
    // The old state is still there, whole.
    t.deepEqual([...snapshot(dst).keys()], ['mine'], rel);
    t.is(readFileSync(join(dst, 'mine'), 'utf8'), 'untouched');
  }
});

// Every path of a point is checked before anything is written: a refused point leaves nothing behind.
test('a refused point leaves no half-written .new beside the state directory', (t) => {
  const root = tempRoot(t);
  const dst = join(root, 'state');
  populate(dst, [['mine', 'untouched']]);
  t.throws(() => writeStateDir(dst, encodeState([['ok.txt', new Uint8Array([1])], ['../evil', new Uint8Array([2])]])));
  t.deepEqual(readdirSync(root), ['state']);
});

test('more bytes than bytesMax: StateDirTooLarge naming process.stateBytesMax with a fix', (t) => {
  const root = tempRoot(t);
  const dir = join(root, 'state');
  populate(dir, [['a', new Uint8Array(60)], ['b', new Uint8Array(40)]]);
  // Each file costs its bytes, its path and 16 bytes of encoding: 60 + 1 + 16 and 40 + 1 + 16 = 134.
  t.notThrows(() => readStateDir(dir, 134, FILES)); // exactly at the limit
  const e = t.throws(() => readStateDir(dir, 133, FILES), { instanceOf: StateDirTooLarge });
  t.is(e?.bytesMax, 133);
  t.is(e?.bytes, 134);
  t.true(e!.message.includes('process.stateBytesMax'), e!.message);
  t.true(e!.message.includes('fix:'), e!.message);
});

test('more files than filesMax: StateDirTooLarge naming the limit with a fix', (t) => {
  const root = tempRoot(t);
  const dir = join(root, 'state');
  populate(dir, [['1', 'a'], ['2', 'b'], ['sub/3', 'c']]);
  t.notThrows(() => readStateDir(dir, BYTES, 3));
  const e = t.throws(() => readStateDir(dir, BYTES, 2), { instanceOf: StateDirTooLarge });
  t.is(e?.filesMax, 2);
  t.is(e?.files, 3);
  t.true(e!.message.includes('process.stateBytesMax'), e!.message);
  t.true(e!.message.includes('stateFilesMax'), e!.message);
  t.true(e!.message.includes('fix:'), e!.message);
});

// Paths and encoding count against the size limit, and an encoding over the codec's own 64 KiB is
// StateDirTooLarge with its fix, never a bare RangeError.
test('a directory within the configured limits either encodes or is StateDirTooLarge', (t) => {
  const root = tempRoot(t);
  const dir = join(root, 'state');
  populate(dir, Array.from({ length: 1024 }, (_, i): [string, Uint8Array] => [`f${String(i).padStart(4, '0')}`, new Uint8Array(60)]));
  // 1024 files of 60 bytes are exactly 60 KiB of data; with their paths (5 bytes) and framing (16)
  // each costs 81 bytes, 82,944 in all: over the limit, and said so as StateDirTooLarge.
  const e = t.throws(() => readStateDir(dir, 60 * 1024, 1024), { instanceOf: StateDirTooLarge });
  t.regex(e!.message, /process\.stateBytesMax.*fix:/);
  // The same files under a limit that covers their cost encode, within the codec's 64 KiB.
  populate(join(root, 'small'), Array.from({ length: 512 }, (_, i): [string, Uint8Array] => [`f${String(i).padStart(4, '0')}`, new Uint8Array(60)]));
  const point = readStateDir(join(root, 'small'), 60 * 1024, 1024);
  t.true(point.length > 512 * 60 && point.length <= 64 * 1024, `${point.length} bytes`);
});

test('a missing directory reads as an empty point, which writes an empty directory', (t) => {
  const root = tempRoot(t);
  const point = readStateDir(join(root, 'nowhere'), BYTES, FILES);
  t.deepEqual(decodeState(point), []);
  t.deepEqual(point, readStateDir(join(root, 'also-nowhere'), BYTES, FILES));
  const dst = join(root, 'state');
  populate(dst, [['left', 'over']]);
  writeStateDir(dst, point);
  t.deepEqual(readdirSync(dst), []);
  t.deepEqual(readdirSync(root), ['state']);
  // An existing empty directory reads the same as a missing one.
  t.deepEqual(readStateDir(dst, BYTES, FILES), point);
});
