import type { FastifyInstance } from 'fastify';
import { IncidentQuery, PolicyQuery, type TlsPolicy } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import { evaluatePolicy, listIncidents, type PolicyRunner } from '../policy/index.ts';
import { grant } from './access.ts';

/**
 * The TLS policy at the API: its findings for a time range and its incidents (viewers), and a
 * check run on demand (admins: it may send alerts).
 */
export interface PolicyHook {
  policy: TlsPolicy;
  runner?: PolicyRunner;
}


export async function registerPolicy(app: FastifyInstance, store: () => Store, hook: PolicyHook): Promise<void> {
  await app.register(async (read) => {
    grant(read, 'viewer');
    read.get('/api/policy/violations', async (req) => {
      const q = PolicyQuery.parse(req.query);
      const to = q.to ?? new Date().toISOString();
      const from = q.from ?? new Date(Date.parse(to) - 86_400_000).toISOString();
      const rules = hook.policy.rules.map((r) => ({ name: r.name, kind: r.kind, severity: r.severity }));
      return { from, to, rules, findings: await evaluatePolicy(store(), hook.policy, { from, to }) };
    });
    read.get('/api/policy/incidents', async (req) => {
      const q = IncidentQuery.parse(req.query);
      return { incidents: await listIncidents(store(), q) };
    });
  });
  // no role granted: admin only (a check sends alerts)
  app.post('/api/admin/policy/check', async () => {
    if (!hook.runner) return { ran: false, reason: 'no policy rules in the config file' };
    return { ran: true, result: await hook.runner.runNow() };
  });
}
