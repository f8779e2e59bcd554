import type { FastifyInstance } from 'fastify';
import { CertificatesQuery, HopListQuery, ViewQuery } from '../../schemas/index.ts';
import type { Store } from '../../store/index.ts';
import { certificatesView } from '../sql/certificates.ts';
import { listHops } from '../sql/hop-list.ts';
import { connectorsView, deliveryView, ingestionView, overviewView, protectionView, securityView, topologyView } from '../sql/views.ts';

/**
 * The views' routes (GET /api/views/*): overview, topology, security (and its connectors), delivery, protection,
 * certificates, ingestion health, and the hop list they drill down to. Each answer is a read of the stitched
 * tables (query/sql/views.ts); identical requests in flight share one answer.
 */
type Shared = <T>(key: string, work: () => Promise<T>) => Promise<T>;

export async function registerViews(app: FastifyInstance, store: () => Store, shared: Shared): Promise<void> {
  const route = <T>(name: string, view: (s: Store, q: ViewQuery) => Promise<T>) =>
    app.get(`/api/views/${name}`, async (req) => {
      const q = ViewQuery.parse(req.query);
      return shared(`view ${name} ${JSON.stringify(q)}`, () => view(store(), q));
    });
  route('overview', overviewView);
  route('topology', topologyView);
  route('security', securityView);
  route('connectors', connectorsView);
  route('delivery', deliveryView);
  route('protection', protectionView);
  app.get('/api/views/certificates', async (req) => {
    const q = CertificatesQuery.parse(req.query);
    return shared(`view certificates ${JSON.stringify(q)}`, () => certificatesView(store(), q));
  });
  app.get('/api/views/ingestion', async (req) => {
    ViewQuery.parse(req.query);
    return shared('view ingestion', () => ingestionView(store()));
  });
  app.get('/api/views/hops', async (req) => {
    const q = HopListQuery.parse(req.query);
    return shared(`view hops ${JSON.stringify(q)}`, () => listHops(store(), q));
  });
}
