/**
 * Jaeger's answer on :5778, in both of the forms Jaeger v2 releases serve, read
 * into the one form jaeger-client understands.
 *
 *   legacy (Jaeger < 2.16): {"strategyType":0,"probabilisticSampling":{"samplingRate":0.5}}
 *   current (>= 2.16):      {"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.5}}
 *
 * The current form is protobuf JSON, which leaves out fields at their zero value:
 * a rate of 0 can arrive as `"probabilisticSampling":{}` and the PROBABILISTIC
 * type (enum value 0) not at all. jaeger-client compares strategyType with the
 * strings only, so on its own it keeps its first sampler forever against the
 * legacy form; it is frozen upstream, hence this reader.
 *
 * An answer with per-operation strategies carries the service's default strategy
 * beside them, and both are kept: jaeger-client reads the per-operation part, while
 * the OpenTelemetry remote sampler (0.222.0) reads it only when its list is not
 * empty and otherwise needs strategyType and probabilisticSampling. Jaeger sends an
 * empty list for a service strategy with `operationStrategies: []`, and its adaptive
 * sampling sends no probabilisticSampling at all before it has data; the default
 * probability is the service's rate then.
 */
import { JaegerTracer } from 'jaeger-client';

export interface OperationStrategy {
  operation: string;
  probabilisticSampling: { samplingRate: number };
}

export interface PerOperationStrategies {
  defaultSamplingProbability: number;
  defaultLowerBoundTracesPerSecond: number;
  perOperationStrategies: OperationStrategy[];
}

/** The service's own strategy, for every operation without one of its own. */
export type DefaultStrategy =
  | { strategyType: 'PROBABILISTIC'; probabilisticSampling: { samplingRate: number } }
  | { strategyType: 'RATE_LIMITING'; rateLimitingSampling: { maxTracesPerSecond: number } };

/** What both remote samplers take, with every number they read present. */
export type SamplingStrategy = DefaultStrategy & { operationSampling?: PerOperationStrategies };

export class StrategyError extends Error {
  constructor(problem: string, answer: unknown) {
    const shown = JSON.stringify(answer) ?? String(answer);
    super(`sampling strategy not understood (${problem}), keeping the current sampler: ${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}`);
    this.name = 'StrategyError';
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The legacy form's enum numbers, and the current form's names. */
const TYPES = new Map<unknown, 'PROBABILISTIC' | 'RATE_LIMITING'>([
  [0, 'PROBABILISTIC'],
  [1, 'RATE_LIMITING'],
  ['PROBABILISTIC', 'PROBABILISTIC'],
  ['RATE_LIMITING', 'RATE_LIMITING'],
]);

function strategyType(answer: Json): 'PROBABILISTIC' | 'RATE_LIMITING' {
  const declared = answer.strategyType;
  // Left out, it is the enum's zero value, PROBABILISTIC, unless only a rate limit is given.
  if (declared === undefined) return answer.rateLimitingSampling !== undefined ? 'RATE_LIMITING' : 'PROBABILISTIC';
  const type = TYPES.get(declared);
  if (!type) throw new StrategyError(`unknown strategyType ${JSON.stringify(declared)}`, answer);
  return type;
}

/** A number field that protobuf JSON leaves out at zero; anything else present is an error. */
function numberField(object: Json, field: string, answer: unknown, max = Infinity): number {
  const value = object[field] ?? 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    const range = max === Infinity ? 'a number of at least 0' : `a number from 0 to ${max}`;
    throw new StrategyError(`${field} must be ${range}, got ${typeof value === 'number' ? value : JSON.stringify(value)}`, answer);
  }
  return value;
}

function probabilistic(sampling: unknown, answer: unknown): { samplingRate: number } {
  if (!isObject(sampling)) throw new StrategyError('probabilisticSampling is missing', answer);
  return { samplingRate: numberField(sampling, 'samplingRate', answer, 1) };
}

function perOperation(sampling: Json, answer: unknown): PerOperationStrategies {
  const operations = sampling.perOperationStrategies ?? [];
  if (!Array.isArray(operations)) throw new StrategyError('perOperationStrategies is not a list', answer);
  return {
    defaultSamplingProbability: numberField(sampling, 'defaultSamplingProbability', answer, 1),
    defaultLowerBoundTracesPerSecond: numberField(sampling, 'defaultLowerBoundTracesPerSecond', answer),
    perOperationStrategies: operations.map((entry: unknown) => {
      if (!isObject(entry) || typeof entry.operation !== 'string') {
        throw new StrategyError('a per-operation strategy has no operation name', answer);
      }
      return { operation: entry.operation, probabilisticSampling: probabilistic(entry.probabilisticSampling, answer) };
    }),
  };
}

/** Reads either form; throws a StrategyError with a one-line reason for anything else. */
export function readStrategy(answer: unknown): SamplingStrategy {
  if (!isObject(answer)) throw new StrategyError('not a JSON object', answer);
  let operationSampling: PerOperationStrategies | undefined;
  if (answer.operationSampling !== undefined) {
    if (!isObject(answer.operationSampling)) throw new StrategyError('operationSampling is not an object', answer);
    operationSampling = perOperation(answer.operationSampling, answer);
  }
  const withOperations = (strategy: DefaultStrategy): SamplingStrategy => (operationSampling ? { ...strategy, operationSampling } : strategy);
  if (strategyType(answer) === 'PROBABILISTIC') {
    const sampling = answer.probabilisticSampling ?? (operationSampling && { samplingRate: operationSampling.defaultSamplingProbability });
    return withOperations({ strategyType: 'PROBABILISTIC', probabilisticSampling: probabilistic(sampling, answer) });
  }
  if (!isObject(answer.rateLimitingSampling)) throw new StrategyError('rateLimitingSampling is missing', answer);
  return withOperations({ strategyType: 'RATE_LIMITING', rateLimitingSampling: { maxTracesPerSecond: numberField(answer.rateLimitingSampling, 'maxTracesPerSecond', answer) } });
}

/** jaeger-client's RemoteSampler, as far as this file touches it. */
interface RemoteSampler {
  _updateSampler(response: unknown): boolean;
}

const { RemoteSampler: RemoteSamplerClass } = require('jaeger-client') as { RemoteSampler: new (...args: unknown[]) => RemoteSampler };

/**
 * Puts readStrategy in front of the tracer's remote sampler, if it has one.
 * jaeger-client logs what it throws as one line and keeps the sampler it had.
 */
export function readEveryStrategyForm(tracer: JaegerTracer): void {
  const sampler = (tracer as unknown as { _sampler?: unknown })._sampler;
  if (!(sampler instanceof RemoteSamplerClass)) return;
  const update = sampler._updateSampler.bind(sampler);
  sampler._updateSampler = (response: unknown) => update(readStrategy(response));
}
