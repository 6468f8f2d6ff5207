import { describe, expect, it } from 'vitest';
import { loadSecrets, parseSecretsFile } from '../../../shared/config/secrets-file.ts';
import { rejection, thrown } from '../berth-error.ts';
import { configFile } from './config-files.ts';

const fileText = [
  '# secrets for demo',
  'DATABASE_URL=postgres://u:p@db/app',
  '',
  'export API_TOKEN="tok=en with spaces"',
  "QUOTED='single'",
  'EMPTY=',
].join('\n');

describe('parseSecretsFile', () => {
  it('reads NAME=value lines, skipping comments and blanks and removing one pair of quotes', () => {
    expect(Object.fromEntries(parseSecretsFile(fileText, '.berth/secrets'))).toEqual({
      DATABASE_URL: 'postgres://u:p@db/app',
      API_TOKEN: 'tok=en with spaces',
      QUOTED: 'single',
      EMPTY: '',
    });
  });

  it('reports a malformed line by number, never by content', () => {
    const error = thrown(() => parseSecretsFile('A=1\nhunter2\n', '.berth/secrets'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe('.berth/secrets:2: expected NAME=value');
  });
});

describe('loadSecrets', () => {
  it('takes values from the environment first, then from the file', async () => {
    const file = await configFile(fileText, 'secrets');
    const values = await loadSecrets(['DATABASE_URL', 'API_TOKEN'], {
      env: { DATABASE_URL: 'from-env' },
      file,
    });
    expect(values).toEqual({ DATABASE_URL: 'from-env', API_TOKEN: 'tok=en with spaces' });
  });

  it('needs no file when the environment has every name', async () => {
    expect(await loadSecrets(['A'], { env: { A: '1' }, file: '/nonexistent/secrets' })).toEqual({
      A: '1',
    });
  });

  it('names every missing secret, and where it looked', async () => {
    const file = await configFile(fileText, 'secrets');
    const error = await rejection(
      loadSecrets(['DATABASE_URL', 'SMTP_PASSWORD', 'S3_KEY'], { env: {}, file }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(
      `secrets not set: SMTP_PASSWORD, S3_KEY; set them in the environment or ${file}`,
    );
    const noFile = await rejection(loadSecrets(['A'], { env: {}, file: '/nonexistent/secrets' }));
    expect(noFile.message).toBe(
      'secret not set: A; set it in the environment (/nonexistent/secrets does not exist)',
    );
  });
});
