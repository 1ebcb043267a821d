/**
 * What a supervised process tells its supervisor over the IPC channel fork() opens. Today one notice: the
 * web app is listening, and where, so the supervisor can say where to open it once, in words.
 */
export interface WebListening {
  kind: 'web-listening';
  /** PUBLIC_URL: where people open the app. */
  publicUrl: string;
  /** host:port the server is bound to. */
  address: string;
  /** The development outbox's loopback-only URL, when one is served (no SMTP_URL). */
  devOutboxUrl: string | null;
  /** Whether /dev/outbox answers on the public port too (no SMTP_URL; it needs the admin token). */
  adminOutbox: boolean;
}

export type SupervisorNotice = WebListening;

/** Sends a notice to the supervisor; a process started on its own (no IPC channel) has nobody to tell. */
export function tellSupervisor(notice: SupervisorNotice): void {
  if (process.send && process.connected) process.send({ batchcast: notice });
}

/** The notice in a message from a child, or null for anything else (a child's message is not trusted blindly). */
export function noticeOf(message: unknown): SupervisorNotice | null {
  const notice = (message as { batchcast?: Partial<WebListening> } | null)?.batchcast;
  if (notice?.kind !== 'web-listening' || typeof notice.publicUrl !== 'string' || typeof notice.address !== 'string') return null;
  return {
    kind: 'web-listening',
    publicUrl: notice.publicUrl,
    address: notice.address,
    devOutboxUrl: typeof notice.devOutboxUrl === 'string' ? notice.devOutboxUrl : null,
    adminOutbox: notice.adminOutbox === true,
  };
}
