import type { z } from 'zod';
import { unknownKeyMessage } from './unknown-key.ts';

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

const expectedWords: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  tuple: 'a list',
  object: 'a map',
  record: 'a map',
  null: 'null',
};

/** How a value reads in a problem line: strings quoted, everything else by kind. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  }
  if (typeof value === 'object') return 'map';
  return typeof value;
}

/** `servers.web.hosts.0`; keys that would read ambiguously are quoted: `labels["a.b"]`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => {
      const text = String(key);
      if (/^[\w-]+$/.test(text)) return index === 0 ? text : `.${text}`;
      return `[${JSON.stringify(text)}]`;
    })
    .join('');
}

function isIntegerSchema(issue: RawIssue & { expected: string }): boolean {
  if (issue.expected === 'int') return true;
  const def = issue.inst?._zod.def;
  return (
    def !== undefined && 'format' in def && (def.format === 'safeint' || def.format === 'int32')
  );
}

function knownKeysOf(issue: RawIssue): string[] {
  const def = issue.inst?._zod.def;
  const shape = def !== undefined && 'shape' in def ? def.shape : undefined;
  return typeof shape === 'object' && shape !== null ? Object.keys(shape) : [];
}

function wrongType(issue: RawIssue & { expected: string }): string {
  if (isIntegerSchema(issue)) {
    const got = typeof issue.input === 'number' ? String(issue.input) : describeValue(issue.input);
    return `expected an integer, got ${got}`;
  }
  return `expected ${expectedWords[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
}

function bound(issue: {
  origin: string;
  inclusive?: boolean;
  input?: unknown;
  side: 'least' | 'most';
  limit: number | bigint;
}): string {
  const { origin, limit } = issue;
  if (origin === 'array') return `expected at ${issue.side} ${limit} item${limit === 1 ? '' : 's'}`;
  if (origin === 'string') {
    return issue.side === 'least' && limit === 1
      ? 'must not be empty'
      : `expected at ${issue.side} ${limit} characters`;
  }
  const words =
    issue.inclusive === false
      ? issue.side === 'least'
        ? 'more than'
        : 'less than'
      : `at ${issue.side}`;
  return `expected ${words} ${limit}, got ${String(issue.input)}`;
}

/**
 * The zod error map for config files and manifests: messages a person editing YAML can act on.
 * Pass it as `{ error: configErrorMap }` to `safeParse`.
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : wrongType(issue);
    case 'too_small':
      return bound({ ...issue, side: 'least', limit: issue.minimum });
    case 'too_big':
      return bound({ ...issue, side: 'most', limit: issue.maximum });
    case 'invalid_value':
      return `expected ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}, got ${describeValue(issue.input)}`;
    case 'invalid_union':
      return unionMismatch(issue.errors, issue.input);
    case 'unrecognized_keys':
      return issue.keys.map((key) => unknownKeyMessage(key, knownKeysOf(issue))).join('; ');
    case 'invalid_format':
      if (issue.format === 'url') return `expected a URL, got ${describeValue(issue.input)}`;
      if (issue.format === 'starts_with' && 'prefix' in issue) {
        return `expected a string starting with ${JSON.stringify(issue.prefix)}, got ${describeValue(issue.input)}`;
      }
      return `expected ${issue.format}, got ${describeValue(issue.input)}`;
    default:
      return undefined;
  }
};

function isTypeMismatch(branch: readonly Issue[]): boolean {
  const [only] = branch;
  return branch.length === 1 && only?.code === 'invalid_type' && only.path.length === 0;
}

function unionMismatch(errors: readonly Issue[][], input: unknown): string {
  const expected = new Set<string>();
  for (const branch of errors) {
    for (const issue of branch) {
      if (issue.code === 'invalid_type')
        expected.add(expectedWords[issue.expected] ?? issue.expected);
    }
  }
  return `expected ${[...expected].join(' or ')}, got ${describeValue(input)}`;
}

function line(path: readonly PropertyKey[], message: string): string {
  return path.length === 0 ? message : `${formatKeyPath(path)}: ${message}`;
}

function depthOf(branch: readonly Issue[]): number {
  return Math.max(...branch.map((issue) => issue.path.length));
}

/**
 * The union branch the value was evidently written for: not one that failed on the value's
 * kind; of the rest, the one whose problems lie deepest (it matched the most structure), then
 * the one with the fewest problems.
 */
function likeliestBranch(errors: readonly Issue[][]): Issue[] | undefined {
  let best: Issue[] | undefined;
  for (const branch of errors) {
    if (isTypeMismatch(branch)) continue;
    const better =
      best === undefined ||
      depthOf(branch) > depthOf(best) ||
      (depthOf(branch) === depthOf(best) && branch.length < best.length);
    if (better) best = branch;
  }
  return best;
}

/** One line per problem, each prefixed by its key path. */
export function formatProblems(
  issues: readonly Issue[],
  base: readonly PropertyKey[] = [],
): string[] {
  return issues.flatMap((issue) => {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union') {
      const branch = likeliestBranch(issue.errors);
      return branch ? formatProblems(branch, path) : [line(path, issue.message)];
    }
    if (issue.code === 'invalid_key') {
      const reasons = issue.issues.map((inner) => inner.message).join('; ');
      return [
        line(path.slice(0, -1), `invalid key ${JSON.stringify(String(path.at(-1)))}: ${reasons}`),
      ];
    }
    return [line(path, issue.message)];
  });
}

export type CheckResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Validates `input` against `schema`, returning the parsed value or every problem as a line. */
export function checkAgainst<S extends z.ZodType>(
  schema: S,
  input: unknown,
): CheckResult<z.output<S>> {
  const result = schema.safeParse(input, { error: configErrorMap, reportInput: true });
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problems: formatProblems(result.error.issues) };
}
