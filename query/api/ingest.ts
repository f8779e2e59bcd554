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
  /** the spool directory exists (made once, by the first upload; the others wait for it) */
  ready: Promise<void>;
  /** spooled files by their upload order (a slot is reserved when an upload starts) */
  files: ({ path: string; name: string } | undefined)[];
  bytes: number;
  /** uploads into this session being written */
  busy: number;
  /** its ingest is running: no upload, idle timeout or second run may touch it */
  running: boolean;
  timer: NodeJS.Timeout | undefined;
}

const SESSION_ID = /^[0-9a-f]{32}$/;
const Finish = z.object({ session: z.string().regex(SESSION_ID, 'session must be the 32 hex digits the client chose') }).strict();

/** Counts bytes against the file's limit and the session's (read live: uploads run side by side). */
function limitBytes(maxFile: number, session: Session, maxSession: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      session.bytes += chunk.length;
      if (seen > maxFile) return done(new MailtraceError('MT_ERR_BAD_INPUT', `the file is larger than the server accepts (${maxFile} bytes)`));
      if (session.bytes > maxSession) return done(new MailtraceError('MT_ERR_BAD_INPUT', `the session's files together pass what the server accepts (${maxSession} bytes)`));
      done(null, chunk);
    },
  });
}

export async function registerIngest(app: FastifyInstance, hook: IngestHook): Promise<void> {
  const limits: IngestLimits = { ...DEFAULT_LIMITS, ...hook.limits };
  const sessions = new Map<string, Session>();
  let running = false;
  // what a server killed with sessions open left in its spool: this server owns the directory now
  await rm(hook.spoolDir, { recursive: true, force: true });

  const drop = async (id: string, s: Session): Promise<void> => {
    if (sessions.get(id) === s) sessions.delete(id);
    clearTimeout(s.timer);
    await rm(s.dir, { recursive: true, force: true });
  };
  /** an idle session (no upload for sessionIdleMs, none being written, not ingesting) is dropped */
  const touch = (id: string, s: Session): void => {
    clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      if (s.busy === 0 && !s.running) void drop(id, s);
      else touch(id, s);
    }, limits.sessionIdleMs);
    s.timer.unref();
  };
  app.addHook('onClose', async () => {
    for (const [id, s] of [...sessions]) await drop(id, s);
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
      // everything up to the first await is synchronous: two first uploads of one session make one session
      let session = sessions.get(id);
      if (!session) {
        if (sessions.size >= limits.maxSessions) throw new MailtraceError('MT_ERR_QUERY_BUSY', 'too many ingest sessions are open; try again when one has finished');
        const dir = join(hook.spoolDir, `${id}-${randomBytes(4).toString('hex')}`);
        session = { dir, ready: mkdir(dir, { recursive: true, mode: 0o700 }).then(() => undefined), files: [], bytes: 0, busy: 0, running: false, timer: undefined };
        sessions.set(id, session);
      }
      const s = session;
      if (s.running) throw new MailtraceError('MT_ERR_QUERY_BUSY', 'this session is being ingested; upload into a new one');
      if (s.files.length >= limits.maxSessionFiles) throw new MailtraceError('MT_ERR_BAD_INPUT', `a session takes at most ${limits.maxSessionFiles} files`);
      touch(id, s);
      // a slot of its own, reserved now: uploads side by side never share a spool file
      const slot = s.files.length;
      s.files.push(undefined);
      s.busy++;
      // the spool name keeps the client's file name (its extension says .gz or .zip), never its directories
      const path = join(s.dir, `${String(slot).padStart(6, '0')}-${basename(name.replace(/\\/g, '/')).replace(/[^\w.@+-]/g, '_').slice(-200) || 'input'}`);
      try {
        await s.ready;
        await pipeline(req.body as Readable, limitBytes(limits.maxFileBytes, s, limits.maxSessionBytes), createWriteStream(path, { mode: 0o600 }));
        const at = new Date(mtime);
        await utimes(path, at, at);
        s.files[slot] = { path, name };
      } catch (err) {
        await rm(path, { force: true });
        throw err instanceof MailtraceError ? err : new MailtraceError('MT_ERR_BAD_INPUT', `the upload of ${name} broke off: ${(err as Error).message}`);
      } finally {
        s.busy--;
      }
      return { file: name, files: s.files.filter(Boolean).length, bytes: s.bytes };
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
      if (s.running || running) throw new MailtraceError('MT_ERR_QUERY_BUSY', 'another ingest is running; try again when it has finished');
      running = true;
      s.running = true;
      clearTimeout(s.timer);
      try {
        return await hook.run(s.files.filter((f): f is { path: string; name: string } => f !== undefined));
      } finally {
        running = false;
        await drop(id, s);
      }
    });
  });
}
