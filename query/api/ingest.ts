import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, utimes } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MailtraceError } from '../../schemas/index.ts';

/**
 * How `mailtrace ingest` reaches a store that `mailtrace serve` owns: it sends the files' bytes,
 * never their paths — the server opens no path a client names. A client opens an upload session,
 * sends each file (`POST /api/ingest/files`, raw bytes, the file's name and modification time in
 * headers), then asks for the session to be ingested in one run (`POST /api/ingest`), so that
 * correlation across files and the layout of an Exchange log tree work as in a direct ingest.
 * Files land in the server's own spool directory and are deleted after the run. Bounded: bytes per
 * file, files and bytes per session, open sessions, and one ingest run at a time.
 */
export interface IngestHook {
  /** a directory the server owns for uploaded files */
  spoolDir: string;
  /** ingest these files (read from `path`, named `name`) in one run */
  run(files: { path: string; name: string }[]): Promise<unknown>;
  limits?: Partial<IngestLimits>;
}

export interface IngestLimits {
  maxFileBytes: number;
  maxSessionBytes: number;
  maxSessionFiles: number;
  maxSessions: number;
  /** an idle session is dropped (and its files deleted) after this long */
  sessionIdleMs: number;
}

const DEFAULT_LIMITS: IngestLimits = {
  maxFileBytes: 16 * 2 ** 30,
  maxSessionBytes: 64 * 2 ** 30,
  maxSessionFiles: 100_000,
  maxSessions: 4,
  sessionIdleMs: 60 * 60_000,
};

interface Session {
  dir: string;
  files: { path: string; name: string }[];
  bytes: number;
  /** an upload into this session is being written */
  busy: number;
  timer: NodeJS.Timeout;
}

const SESSION_ID = /^[0-9a-f]{32}$/;
const Finish = z.object({ session: z.string().regex(SESSION_ID, 'session must be the 32 hex digits the client chose') }).strict();

/** Counts bytes and refuses more than `max` (MT_ERR_BAD_INPUT: the file is too large for the server's limit). */
function limitBytes(max: number, onBytes: (n: number) => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      onBytes(chunk.length);
      if (seen > max) return done(new MailtraceError('MT_ERR_BAD_INPUT', `the file is larger than the server accepts (${max} bytes)`));
      done(null, chunk);
    },
  });
}

export async function registerIngest(app: FastifyInstance, hook: IngestHook): Promise<void> {
  const limits: IngestLimits = { ...DEFAULT_LIMITS, ...hook.limits };
  const sessions = new Map<string, Session>();
  let running = false;

  const drop = async (id: string): Promise<void> => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    clearTimeout(s.timer);
    await rm(s.dir, { recursive: true, force: true });
  };
  const touch = (id: string, s: Session): void => {
    clearTimeout(s.timer);
    s.timer = setTimeout(() => void drop(id), limits.sessionIdleMs);
    s.timer.unref();
  };
  app.addHook('onClose', async () => {
    for (const id of [...sessions.keys()]) await drop(id);
  });

  await app.register(async (ing) => {
    // the body is the file itself, streamed to the spool (never parsed, never held in memory)
    ing.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

    ing.post('/api/ingest/files', { bodyLimit: limits.maxFileBytes }, async (req) => {
      const id = String(req.headers['x-mailtrace-session'] ?? '');
      if (!SESSION_ID.test(id)) throw new MailtraceError('MT_ERR_BAD_INPUT', 'x-mailtrace-session must be 32 hex digits');
      let name: string;
      try {
        name = decodeURIComponent(String(req.headers['x-mailtrace-file'] ?? ''));
      } catch {
        throw new MailtraceError('MT_ERR_BAD_INPUT', 'x-mailtrace-file must be URI-encoded');
      }
      if (name === '' || name.length > 4096 || name.includes('\0')) throw new MailtraceError('MT_ERR_BAD_INPUT', 'x-mailtrace-file must name the file (1 to 4096 characters)');
      const mtime = Number(req.headers['x-mailtrace-mtime'] ?? Date.now());
      if (!Number.isFinite(mtime) || mtime < 0) throw new MailtraceError('MT_ERR_BAD_INPUT', 'x-mailtrace-mtime must be milliseconds since 1970');
      if (req.headers['content-type'] !== 'application/octet-stream') throw new MailtraceError('MT_ERR_BAD_INPUT', 'send the file as application/octet-stream');
      let s = sessions.get(id);
      if (!s) {
        if (sessions.size >= limits.maxSessions) throw new MailtraceError('MT_ERR_QUERY_BUSY', 'too many ingest sessions are open; try again when one has finished');
        const dir = join(hook.spoolDir, `${id}-${randomBytes(4).toString('hex')}`);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        s = { dir, files: [], bytes: 0, busy: 0, timer: setTimeout(() => undefined, 0) };
        sessions.set(id, s);
      }
      touch(id, s);
      if (s.files.length >= limits.maxSessionFiles) throw new MailtraceError('MT_ERR_BAD_INPUT', `a session takes at most ${limits.maxSessionFiles} files`);
      // the spool name keeps the client's file name (its extension says .gz or .zip), never its directories
      const path = join(s.dir, `${String(s.files.length).padStart(6, '0')}-${basename(name.replace(/\\/g, '/')).replace(/[^\w.@+-]/g, '_').slice(-200) || 'input'}`);
      const session = s;
      session.busy++;
      try {
        await pipeline(req.body as Readable, limitBytes(Math.min(limits.maxFileBytes, limits.maxSessionBytes - session.bytes), (n) => { session.bytes += n; }), createWriteStream(path, { mode: 0o600 }));
      } catch (err) {
        await rm(path, { force: true });
        throw err instanceof MailtraceError ? err : new MailtraceError('MT_ERR_BAD_INPUT', `the upload of ${name} broke off: ${(err as Error).message}`);
      } finally {
        session.busy--;
      }
      const at = new Date(mtime);
      await utimes(path, at, at);
      session.files.push({ path, name });
      return { file: name, files: session.files.length, bytes: session.bytes };
    });

    ing.post('/api/ingest', async (req) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (typeof body === 'object' && body !== null && 'paths' in body) {
        throw new MailtraceError('MT_ERR_BAD_INPUT', 'the server does not open paths a client names: upload the files (POST /api/ingest/files), as `mailtrace ingest` does');
      }
      const { session: id } = Finish.parse(body);
      const s = sessions.get(id);
      if (!s) throw new MailtraceError('MT_ERR_NOT_FOUND', `no upload session ${id} (it finished, expired, or never began)`);
      if (s.busy > 0) throw new MailtraceError('MT_ERR_BAD_INPUT', 'an upload of this session is still being written');
      if (running) throw new MailtraceError('MT_ERR_QUERY_BUSY', 'another ingest is running; try again when it has finished');
      running = true;
      try {
        return await hook.run(s.files);
      } finally {
        running = false;
        await drop(id);
      }
    });
  });
}
