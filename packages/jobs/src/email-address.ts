import { DomainError } from './errors.js';

// RFC 5321 caps an address at 254 characters; anything with spaces, brackets or line breaks is refused,
// so no user text can ever reach a mail header unescaped.
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An address we can send to, or null when none was given; anything else is refused as `invalid_email`. */
export function parseEmail(raw: unknown): string | null {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return null;
  const email = String(raw).trim();
  if (email.length > 254 || !EMAIL.test(email)) {
    throw new DomainError('invalid', 'invalid_email', `"${email.slice(0, 80)}" is not an e-mail address we can send to.`);
  }
  return email;
}
