import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ComposeTarget } from './compose-target';

/** What only a real engine shows: health checks and the ports published on the host. */
export function composeSuite(current: () => ComposeTarget): void {
  describe('docker compose up --wait', () => {
    it('returns only once all four containers are healthy', () => {
      const states = current().states().sort((a, b) => a.service.localeCompare(b.service));
      assert.deepEqual(states, [
        { service: 'front-envoy', state: 'running', health: 'healthy' },
        { service: 'jaeger', state: 'running', health: 'healthy' },
        { service: 'service1', state: 'running', health: 'healthy' },
        { service: 'service2', state: 'running', health: 'healthy' },
      ]);
    });

    it('publishes the proxy and the UI, and the admin and sampling ports on loopback only', () => {
      const published = current()
        .published()
        .map((p) => `${p.service} ${p.port}`)
        .sort();
      // Where the host has IPv6, Docker also binds the wildcard ports on "::", and only those.
      const ipv4 = published.filter((p) => !p.includes(' :::'));
      const ipv6 = published.filter((p) => p.includes(' :::'));
      assert.deepEqual(ipv4, [
        'front-envoy 0.0.0.0:8000->8000/tcp',
        'front-envoy 127.0.0.1:8001->8001/tcp',
        'jaeger 0.0.0.0:16686->16686/tcp',
        'jaeger 127.0.0.1:5778->5778/tcp',
      ]);
      for (const p of ipv6) assert.ok(ipv4.includes(p.replace(' :::', ' 0.0.0.0:')), `${p} is a wildcard port`);
    });
  });
}
