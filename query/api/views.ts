import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/index.ts';

/**
 * The views' routes (GET /api/views/*): overview, topology, security, delivery, protection,
 * ingestion health and the hop list they drill down to. Each answer is a read of the stitched
 * tables (query/sql/views.ts). Being written (issue 9).
 */
export async function registerViews(app: FastifyInstance, store: () => Store, shared: <T>(key: string, work: () => Promise<T>) => Promise<T>): Promise<void> {
  void app;
  void store;
  void shared;
}
