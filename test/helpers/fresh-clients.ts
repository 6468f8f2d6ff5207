import { Pool } from 'undici';

/** `count` fresh clients (no cookie), each asking once: how many got each version. */
export async function versionsOfFreshClients(
  baseUrl: string,
  count = 1000,
): Promise<Record<string, number>> {
  const pool = new Pool(baseUrl, { connections: 20 });
  const answers: Record<string, number> = {};
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next++ < count) {
        const response = await pool.request({ method: 'GET', path: '/version' });
        const body = await response.body.text();
        const key = response.statusCode === 200 ? body : `HTTP ${response.statusCode}`;
        answers[key] = (answers[key] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
  } finally {
    await pool.close();
  }
  return answers;
}

/** One fresh client's first answer and the cookie the proxy gave it. */
export async function freshClient(baseUrl: string): Promise<{ version: string; cookie: string }> {
  const response = await fetch(`${baseUrl}/version`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return { version: await response.text(), cookie };
}
