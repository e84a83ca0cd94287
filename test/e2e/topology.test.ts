/**
 * The whole sandbox, end to end, on real Envoy and real Jaeger: one topology for
 * the whole file, suites in order (the faults last, they stop things).
 */
import { after, before, describe } from 'node:test';
import { callerSuite } from './callers';
import { composeSuite } from './compose';
import { ComposeTarget } from './compose-target';
import { composeVariant } from './compose-files';
import { faultSuite } from './faults';
import { labSuite } from './labs';
import { monitorSuite } from './monitor';
import { samplingSuite } from './sampling';
import { kubernetesSuite } from './kubernetes';
import type { KubernetesTarget } from './kubernetes-target';
import { Target } from './target';
import { e2eTarget } from './targets';
import { traceSuite } from './traces';

describe('the sandbox, end to end', () => {
  let sandbox: Target | undefined;
  const current = (): Target => {
    if (!sandbox) throw new Error('the topology did not start');
    return sandbox;
  };

  before(async () => {
    sandbox = await e2eTarget();
    console.log(`# e2e against ${sandbox.name}: proxy ${sandbox.proxy}, jaeger ${sandbox.jaeger.baseUrl}`);
  });
  after(async () => {
    await sandbox?.close();
  });

  traceSuite(current, { envoySampling: !(process.env.E2E_TARGET === 'compose' && composeVariant().name === 'native') });
  // Before the labs and faults: its error rates are read over a window with no other failures in it.
  monitorSuite(current);
  callerSuite(current);
  samplingSuite(current);
  labSuite(current);
  // Health checks and published ports exist only under a Docker engine.
  if (process.env.E2E_TARGET === 'compose') composeSuite(() => current() as ComposeTarget);
  // Probes, the pods' shape and kubectl port-forward exist only on a cluster.
  if (process.env.E2E_TARGET === 'kubernetes') kubernetesSuite(() => current() as KubernetesTarget);
  faultSuite(current);
});
