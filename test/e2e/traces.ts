import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SERVICE_HOPS, TRACE_HOPS } from '../../tools/trace-shape';
import { wholeTrace } from './expect';
import { get } from './http';
import { Target } from './target';

const REQUESTS = Number(process.env.E2E_TRACES || 20);

export function traceSuite(current: () => Target): void {
  describe('a request through the front proxy', () => {
    it(`becomes one whole trace of seven hops, ${REQUESTS} times out of ${REQUESTS}`, async () => {
      const target = current();
      const answers = [];
      for (let i = 0; i < REQUESTS; i++) {
        const answer = await get(`${target.proxy}/trace/1`);
        assert.equal(answer.status, 200, answer.body);
        assert.match(answer.body, /^Hello from behind Envoy \(service 1\)! hostname: \S+ resolvedhostname: \S+\n$/);
        answers.push(answer);
      }
      const ids = new Set(answers.map((a) => a.traceId));
      assert.equal(ids.size, REQUESTS, 'every request has its own trace');
      for (const answer of answers) await wholeTrace(target, answer.traceId, TRACE_HOPS);
      console.log(`# verified ${REQUESTS} traces of ${TRACE_HOPS.length} hops each`);
    });

    it('for /service/1 stops at service1', async () => {
      const target = current();
      const answer = await get(`${target.proxy}/service/1`);
      assert.equal(answer.status, 200, answer.body);
      await wholeTrace(target, answer.traceId, SERVICE_HOPS);
    });
  });
}
