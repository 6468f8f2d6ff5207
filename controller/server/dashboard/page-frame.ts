import { html, rawHtml, type SafeHtml } from './html.ts';

const style = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d2430;color:#fff;padding:12px 24px;display:flex;gap:16px;align-items:center}
header h1{font-size:16px;margin:0;flex:1}header form{margin:0}
main{padding:16px 24px;max-width:1400px}
h2{font-size:15px;margin:24px 0 8px}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px #0002}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e4e7eb;vertical-align:top}
th{background:#eef0f3;font-weight:600}
.host{font-weight:600}.empty{color:#6b7280;text-align:center}
.badge{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px}
.good{background:#d1fae5;color:#065f46}.bad{background:#fee2e2;color:#991b1b}.busy{background:#fef3c7;color:#92400e}
.error{color:#991b1b;font-size:12px}.target{white-space:nowrap;margin-right:6px}
.muted{color:#6b7280;font-size:12px}
form.login{background:#fff;padding:24px;max-width:560px;box-shadow:0 1px 2px #0002}
textarea{width:100%;height:120px;font:12px monospace}button{padding:6px 14px}
`;

/** Security headers of every dashboard page; scripts and styles run only with this response's nonce. */
export function pageHeaders(nonce: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}

/** A whole page: the shared style, a header, the body and an optional script (constant text). */
export function pageFrame(options: {
  title: string;
  nonce: string;
  header: SafeHtml;
  body: SafeHtml;
  script?: string;
}): string {
  const script = options.script
    ? html`<script nonce="${options.nonce}">
        ${rawHtml(options.script)};
      </script>`
    : null;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <title>${options.title}</title>
        <style nonce="${options.nonce}">
          ${rawHtml(style)}
        </style>
      </head>
      <body>
        <header>${options.header}</header>
        <main>${options.body}</main>
        ${script}
      </body>
    </html> `.text;
}
