import { format, resolveConfig } from 'prettier';
import type { z } from 'zod';
import { agentConfigSchema } from '../../shared/config/agent-config.ts';
import { controllerConfigSchema } from '../../shared/config/controller-config.ts';
import { deployConfigSchema } from '../../shared/config/deploy-config.ts';
import { serviceControlSchema } from '../../shared/manifest/control-schema.ts';
import { releaseManifestSchema } from '../../shared/manifest/schema.ts';
import { renderErrorReference } from './error-reference.ts';
import { jsonSchemaOf, renderSchemaPage, schemaRows } from './schema-reference.ts';

export interface DocFile {
  /** Relative to the repository root. */
  path: string;
  content: string;
}

interface SchemaDoc {
  name: string;
  title: string;
  source: string;
  intro: string;
  schema: z.ZodType;
}

const schemaDocs: SchemaDoc[] = [
  {
    name: 'deploy-config',
    title: 'config/deploy.yml',
    source: 'shared/config/deploy-config.ts',
    intro: [
      "The app's deploy settings, in the shape of Kamal's deploy.yml (snake_case keys; durations in",
      'seconds). Unknown keys are errors, with a suggestion for near misses; keys starting with `x-` are',
      'ignored, so YAML anchors can live there. Secret values never go in this file: name them under',
      '`env.secret` or `registry.password`, and set them in the environment or in `.berth/secrets`',
      '(`NAME=value` lines). JSON Schema: [deploy-config.schema.json](deploy-config.schema.json).',
    ].join('\n'),
    schema: deployConfigSchema,
  },
  {
    name: 'agent-config',
    title: 'Agent config (`<dataDir>/agent.yml`)',
    source: 'shared/config/agent-config.ts',
    intro: [
      'The config of `berth-agent` on one server, written by `berth-agent init` and `berth-agent trust`.',
      'It is YAML (JSON is valid YAML too). Paths must be absolute; those left out are derived from',
      '`dataDir`. JSON Schema: [agent-config.schema.json](agent-config.schema.json).',
    ].join('\n'),
    schema: agentConfigSchema,
  },
  {
    name: 'controller-config',
    title: 'Controller config (`<dataDir>/controller.yml`)',
    source: 'shared/config/controller-config.ts',
    intro: [
      'The config of `berth controller run`, written by `berth controller init`. It is YAML (JSON is',
      'valid YAML too). Paths must be absolute; the TLS paths left out are derived from `dataDir`.',
      'Durations are in milliseconds unless the name says otherwise. JSON Schema:',
      '[controller-config.schema.json](controller-config.schema.json).',
    ].join('\n'),
    schema: controllerConfigSchema,
  },
  {
    name: 'release-manifest',
    title: 'Release manifest',
    source: 'shared/manifest/schema.ts',
    intro: [
      'The payload of a signed release: a compact JWS (EdDSA, `typ: berth-release+jws`) whose payload',
      'is this JSON. Agents apply it only if the signature is by a trusted release key, the fleet and',
      'host match, `sequence` is above the last applied, it is not past `expiresAt`, and the image is',
      'pinned by digest. Durations are in milliseconds. JSON Schema:',
      '[release-manifest.schema.json](release-manifest.schema.json).',
    ].join('\n'),
    schema: releaseManifestSchema,
  },
  {
    name: 'service-control',
    title: 'Service control',
    source: 'shared/manifest/control-schema.ts',
    intro: [
      'The payload of a signed service control (`berth maintenance`, `berth pause`, `berth resume` in',
      'pull mode): a compact JWS (EdDSA, `typ: berth-control+jws`, signed by a release key) whose',
      'payload is this JSON. Agents apply it only if the signature is by a trusted release key, the',
      'fleet matches, the host is named in `hosts`, `sequence` is above the last control applied for',
      'the service, and it is not past `expiresAt`. Durations are in milliseconds. JSON Schema:',
      '[service-control.schema.json](service-control.schema.json).',
    ].join('\n'),
    schema: serviceControlSchema,
  },
];

async function formatted(path: string, content: string): Promise<string> {
  const options = (await resolveConfig(path)) ?? {};
  return format(content, { ...options, filepath: path });
}

/** Every generated documentation file, formatted as prettier would leave it. */
export async function renderDocFiles(): Promise<DocFile[]> {
  const files: DocFile[] = [{ path: 'docs/errors.md', content: renderErrorReference() }];
  for (const doc of schemaDocs) {
    const jsonSchema = jsonSchemaOf(doc.schema, {
      id: `${doc.name}.schema.json`,
      title: doc.title,
    });
    files.push(
      {
        path: `docs/reference/${doc.name}.md`,
        content: renderSchemaPage({ ...doc, rows: schemaRows(jsonSchema) }),
      },
      {
        path: `docs/reference/${doc.name}.schema.json`,
        content: `${JSON.stringify(jsonSchema, null, 2)}\n`,
      },
    );
  }
  return Promise.all(
    files.map(async (file) => ({ ...file, content: await formatted(file.path, file.content) })),
  );
}
