import { type FileHandle, mkdir, open, realpath } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Internal (not exported from the package): one open append handle per audit file in this process, shared by every
 * `jsonlAudit` sink on that file and reference-counted. The file is identified by device and inode, so two spellings
 * of one path, a symlink and a hard link all find the same handle (and so the same chain).
 */
export interface SharedAuditFile {
  readonly handle: FileHandle;
  readonly key: string;
  /** Settles once the file is ready for appends (a line a crashed writer left unfinished is ended). */
  readonly ready: Promise<void>;
  users: number;
  /** A write failed or was cut short: part of a line may be in the file, so the next write starts a new line. */
  torn?: boolean;
}

const openFiles = new Map<string, SharedAuditFile>();
const NEWLINE = 0x0a;
const TAIL_CHUNK_BYTES = 64 * 1024;

/** Opens (creating it and its folders) or joins the shared handle of an audit file. Pair with {@link releaseAuditFile}. */
export async function acquireAuditFile(path: string): Promise<SharedAuditFile> {
  await mkdir(dirname(path), { recursive: true });
  // O_APPEND: every write lands at the end of the file, whoever else appends; readable for the last line.
  const handle = await open(path, 'a+');
  let key: string;
  try {
    const stats = await handle.stat({ bigint: true });
    key = stats.ino === 0n ? `path:${await realpath(path)}` : `inode:${stats.dev}:${stats.ino}`;
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  let file = openFiles.get(key);
  if (file) {
    file.users++;
    await handle.close().catch(() => undefined);
  } else {
    file = { handle, key, ready: terminateLastLine(handle), users: 1 };
    openFiles.set(key, file);
  }
  try {
    await file.ready; // a sink joining a file still being prepared waits too
  } catch (error) {
    await releaseAuditFile(file).catch(() => undefined);
    throw error;
  }
  return file;
}

/** Lets go of a shared handle; the last user closes it. */
export async function releaseAuditFile(file: SharedAuditFile): Promise<void> {
  file.users--;
  if (file.users > 0) return;
  openFiles.delete(file.key);
  await file.handle.close();
}

/**
 * Appends one line with a single write, so lines from other writers (in this process or another) never interleave
 * with it. Regular local files only: O_APPEND is not atomic on network file systems such as NFS.
 */
export async function appendAuditLine(file: SharedAuditFile, line: string): Promise<void> {
  // After a failed or short write (a full disk, a file size limit) part of a line may be in the file: the retry starts
  // on a line of its own, and the torn part is a line readers pass over.
  const bytes = Buffer.from(file.torn ? `\n${line}` : line, 'utf8');
  file.torn = true;
  const { bytesWritten } = await file.handle.write(bytes, 0, bytes.length, null);
  if (bytesWritten !== bytes.length) {
    throw new Error(`short write to the audit file: ${bytesWritten} of ${bytes.length} bytes`);
  }
  file.torn = false;
}

/**
 * The hash of the last audit event in the file, read backwards from the end so a long log is not read whole. Only
 * complete (newline-terminated) lines count; a line that is not an audit event (what a crashed writer left) is passed
 * over, so the file stays writable. Such a line stays in the file, where {@link readAuditLog} reports it.
 */
export async function readLastAuditHash(file: SharedAuditFile): Promise<string | undefined> {
  const { size } = await file.handle.stat();
  let from = size;
  let buffer = Buffer.alloc(0); // the file's bytes [from, size)
  while (from > 0) {
    const length = Math.min(TAIL_CHUNK_BYTES, from);
    from -= length;
    const chunk = Buffer.alloc(length);
    const { bytesRead } = await file.handle.read(chunk, 0, length, from);
    if (bytesRead !== length) throw new Error('the audit file shrank while its last event was read');
    buffer = Buffer.concat([chunk, buffer]);
    const found = lastHashIn(buffer, from === 0);
    if (found !== MORE) return found;
  }
  return undefined;
}

const MORE = Symbol('read more');

function lastHashIn(buffer: Buffer, atStartOfFile: boolean): string | undefined | typeof MORE {
  let end = buffer.lastIndexOf(NEWLINE);
  while (end >= 0) {
    const start = end === 0 ? -1 : buffer.lastIndexOf(NEWLINE, end - 1);
    if (start < 0 && !atStartOfFile) return MORE;
    const hash = hashOf(buffer.subarray(start + 1, end).toString('utf8'));
    if (hash !== undefined) return hash;
    end = start;
  }
  return atStartOfFile ? undefined : MORE;
}

function hashOf(line: string): string | undefined {
  if (line.trim().length === 0) return undefined;
  try {
    const hash = (JSON.parse(line) as { hash?: unknown } | null)?.hash;
    return typeof hash === 'string' ? hash : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Ends a line a crashed writer left unterminated, so the next event starts on a line of its own. If another process
 * is mid-write instead, its write is atomic and this only adds a blank line, which readers skip.
 */
async function terminateLastLine(handle: FileHandle): Promise<void> {
  const { size } = await handle.stat();
  if (size === 0) return;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  if (last[0] !== NEWLINE) await handle.write('\n', null, 'utf8');
}
