import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ComposeTarget } from './compose-target';
import { traceKeptThrough } from './expect';

/** What only a real engine shows: health checks and the ports published on the host. */
export function composeSuite(current: () => ComposeTarget): void {
  describe('docker compose up --wait', () => {
    it('returns only once all five containers are healthy', () => {
      const states = current().states().sort((a, b) => a.service.localeCompare(b.service));
      assert.deepEqual(states, [
        { service: 'front-envoy', state: 'running', health: 'healthy' },
        { service: 'jaeger', state: 'running', health: 'healthy' },
        { service: 'prometheus', state: 'running', health: 'healthy' },
        { service: 'service1', state: 'running', health: 'healthy' },
        { service: 'service2', state: 'running', health: 'healthy' },
      ]);
    });

    it('publishes the proxy, the UI, the admin page and the sampling endpoint on loopback only, and nothing on IPv6', () => {
      const published = current()
        .published()
        .map((p) => `${p.service} ${p.port}`)
        .sort();
      assert.deepEqual(published, [
        'front-envoy 127.0.0.1:8000->8000/tcp',
        'front-envoy 127.0.0.1:8001->8001/tcp',
        'jaeger 127.0.0.1:16686->16686/tcp',
        'jaeger 127.0.0.1:5778->5778/tcp',
      ]);
    });

    it('keeps a trace through docker compose down and up: the volume jaeger-data outlives the containers', async () => {
      const target = current();
      await traceKeptThrough(target, 'down and up', async () => {
        target.downAndUp();
        assert.ok(target.states().every((s) => s.health === 'healthy'), 'every container is back and healthy');
      });
    });
  });
}
