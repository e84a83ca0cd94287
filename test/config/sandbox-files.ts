/** Reads the sandbox's shipped files for the config tests. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { fillSidecarTemplate } from '../../topology/render';

export const ROOT = path.resolve(__dirname, '..', '..', '..');

export const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
export const readYaml = (file: string): any => parse(read(file), { merge: true });

/** The sidecar template as the container entry point renders it. */
export const renderSidecar = (serviceNumber: string): string => fillSidecarTemplate(read('service-envoy-jaeger.yaml'), serviceNumber);

export type Json = any;

/** Every object in a parsed document that has the given key. */
export function findAll(node: Json, key: string, found: Json[] = []): Json[] {
  if (Array.isArray(node)) node.forEach((item) => findAll(item, key, found));
  else if (node && typeof node === 'object') {
    if (key in node) found.push(node);
    Object.values(node).forEach((value) => findAll(value, key, found));
  }
  return found;
}

/** One build stage of a Dockerfile: its base as the default build arguments resolve it. */
export interface Stage {
  name?: string;
  /** The base image, or the name of an earlier stage. */
  base: string;
  /** True when the base is an earlier stage of the same file. */
  fromStage: boolean;
  body: string;
}

export function dockerStages(dockerfile: string): Stage[] {
  const text = read(dockerfile);
  const defaults = Object.fromEntries(
    [...text.split(/^FROM\s/m)[0].matchAll(/^ARG\s+(\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]),
  );
  const stages: Stage[] = [];
  for (const part of text.split(/^(?=FROM\s)/m).slice(1)) {
    const [, from, name] = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(part)!;
    const base = from.replace(/\$\{(\w+)\}/g, (_m, arg: string) => defaults[arg] ?? `\${${arg}}`);
    stages.push({ name, base, fromStage: stages.some((s) => s.name === base), body: part });
  }
  return stages;
}
