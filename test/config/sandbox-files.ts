/** Reads the sandbox's shipped files for the config tests. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { fillSidecarTemplate } from '../../local/render';

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
