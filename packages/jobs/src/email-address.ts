import { domainToASCII } from 'node:url';
import { DomainError } from './errors.js';

// RFC 5321 caps an address at 254 characters; anything with spaces, brackets or line breaks is refused,
// so no user text can ever reach a mail header unescaped.
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * The last label of a domain mail on the internet can reach: a top-level domain is letters (2 to 63), or an
 * internationalised one in its ASCII form (`xn--…`). A domain without a dot (`bob@example`, `bob@localhost`)
 * or ending in digits (`bob@10.0.0.1`, not an address literal) is no such domain: no mail server would take
 * the message, and the person would wait for an email that never comes.
 */
const TOP_LEVEL = /\.(?:[A-Za-z]{2,63}|[Xx][Nn]--[A-Za-z0-9-]{1,59})$/;

/**
 * An address we can send to, or null when none was given; anything else is refused as `invalid_email`,
 * naming the field. `localDomains` (MAIL_LOCAL_DOMAINS) are domains the operator's own mail server delivers
 * although the internet does not (`corp`, `localhost`): addresses there are accepted too. Every way an address
 * comes in (the upload form and API, "email me my links", schedules; the CLI through the API) checks it here.
 */
export function parseEmail(raw: unknown, localDomains: readonly string[] = []): string | null {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return null;
  const given = String(raw).trim();
  const email = withAsciiDomain(given);
  const at = email.lastIndexOf('@');
  if (at > 0 && /[^\x00-\x7f]/.test(email.slice(0, at))) {
    throw new DomainError(
      'invalid',
      'invalid_email',
      `"email": "${given.slice(0, 80)}" has characters outside ASCII before its "@": batchcast sends mail to ASCII ` +
        'mailbox names only (many mail servers refuse others). Give an ASCII address for the same mailbox.',
      { field: 'email' },
    );
  }
  if (email.length > 254 || !EMAIL.test(email)) {
    throw new DomainError('invalid', 'invalid_email', `"email": "${given.slice(0, 80)}" is not an e-mail address we can send to.`, {
      field: 'email',
    });
  }
  const domain = email.slice(at + 1);
  if (!TOP_LEVEL.test(domain) && !localDomains.includes(domain.toLowerCase())) {
    throw new DomainError(
      'invalid',
      'invalid_email',
      `"email": "${given.slice(0, 80)}" is not an e-mail address we can send to: its domain "${domain.slice(0, 63)}" is not one mail ` +
        'on the internet can reach (it needs a dot and a top-level domain, as in name@example.com). Give the full address.',
      { field: 'email' },
    );
  }
  return email;
}

/**
 * `raw` with an internationalised domain in its ASCII form (`anna@bücher.de` → `anna@xn--bcher-kva.de`), the
 * form mail servers and DNS take (browsers' email fields send it so already). An address without an `@`, or
 * whose domain is no domain name, is left as given, for the syntax check to refuse.
 */
function withAsciiDomain(raw: string): string {
  const at = raw.lastIndexOf('@');
  const domain = raw.slice(at + 1);
  if (at < 0 || !/[^\x00-\x7f]/.test(domain)) return raw;
  const ascii = domainToASCII(domain);
  return ascii === '' ? raw : `${raw.slice(0, at)}@${ascii}`;
}

/**
 * The mailbox an address reaches, for the limits per address: lower-cased, and without the `+tag` of its local
 * part (`Bob+news@Example.com` → `bob@example.com`), which most providers deliver to the same inbox. Counted by
 * the spelling instead, `victim+1@…`, `victim+2@…` each had a limit of their own. The SQL that counts jobs per
 * mailbox (`countRecentJobsForMailbox`, migration 017's index) computes the same.
 */
export function mailboxOf(email: string): string {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const plus = local.indexOf('+');
  return `${plus === -1 ? local : local.slice(0, plus)}${email.slice(at)}`.toLowerCase();
}

/**
 * The same rule as an HTML `pattern` for `<input type="email">` (which checks the rest of the syntax), so that
 * the browser refuses such an address before anything is sent, with or without the page's script.
 */
export function emailInputPattern(localDomains: readonly string[] = []): string {
  // Browsers compile a pattern with the `v` flag: no needless escapes outside classes, `-` escaped inside.
  const anyCase = (d: string) =>
    [...d].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c === '.' ? '\\.' : c)).join('');
  const local = localDomains.map((d) => `|[^@]+@${anyCase(d)}`).join('');
  return `[^@]+@[^@]+\\.(?:[A-Za-z]{2,63}|[Xx][Nn]--[A-Za-z0-9\\-]{1,59})${local}`;
}
