import { html } from './html.ts';
import { pageFrame } from './page-frame.ts';

/** The sign-in form: paste a token from `berth controller login-token`. */
export function loginPage(
  controller: string,
  nonce: string,
  problem: string | null = null,
): string {
  const error = problem ? html`<p class="error" role="alert">${problem}</p>` : null;
  const body = html`<form class="login" method="post" action="/login">
    <h2>Sign in</h2>
    <p>
      On a machine with the operator key, run
      <code>berth controller login-token --audience ${controller}</code> and paste the token here.
      It is valid for ten minutes; the session lasts eight hours.
    </p>
    ${error}
    <textarea
      name="token"
      required
      autocomplete="off"
      spellcheck="false"
      aria-label="operator token"
    ></textarea>
    <p><button type="submit">Sign in</button></p>
  </form>`;
  return pageFrame({
    title: `Berth · ${controller} · sign in`,
    nonce,
    header: html`<h1>Berth · ${controller}</h1>`,
    body,
  });
}
