// The jobs this browser submitted or opened, kept in its localStorage and nowhere else: the page links
// (with their tokens) never leave the browser except to open the jobs. The home page lists them
// (my-jobs.ts); the upload form and the job page add to the list.

const KEY = 'batchcast.jobs';
/** Enough for anyone's recent work; the oldest are forgotten first. */
const MAX_JOBS = 50;

export interface RememberedJob {
  id: string;
  /** The job page's path, token included. */
  page: string;
  /** The status endpoint's path, token included. */
  status: string;
  filename: string;
  model: string;
  /** When this browser first saw the job (ISO). */
  savedAt: string;
}

function isRemembered(v: unknown): v is RememberedJob {
  const j = v as Partial<RememberedJob> | null;
  return (
    typeof j?.id === 'string' &&
    typeof j.page === 'string' &&
    j.page.startsWith('/') &&
    typeof j.status === 'string' &&
    j.status.startsWith('/') &&
    typeof j.filename === 'string' &&
    typeof j.model === 'string' &&
    typeof j.savedAt === 'string'
  );
}

/** The remembered jobs, newest first; none when storage is unavailable (private mode, blocked) or damaged. */
export function rememberedJobs(): RememberedJob[] {
  try {
    const parsed: unknown = JSON.parse(window.localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter(isRemembered) : [];
  } catch {
    return [];
  }
}

function save(jobs: RememberedJob[]): void {
  try {
    window.localStorage.setItem(KEY, JSON.stringify(jobs.slice(0, MAX_JOBS)));
  } catch {
    // Storage full or refused: the job still has its link and its email; nothing else to do.
  }
}

/** Adds a job (or refreshes what is known of it), keeping when it was first seen. */
export function rememberJob(job: Omit<RememberedJob, 'savedAt'>): void {
  const jobs = rememberedJobs();
  const known = jobs.find((j) => j.id === job.id);
  const entry: RememberedJob = { ...job, savedAt: known?.savedAt ?? new Date().toISOString() };
  save(known ? jobs.map((j) => (j.id === job.id ? entry : j)) : [entry, ...jobs]);
}

/**
 * Refreshes what is known of a job the browser still remembers, and nothing else: a list's refresh that comes
 * back after the job was forgotten (here or in another tab) must not bring it back.
 */
export function updateRememberedJob(job: Omit<RememberedJob, 'savedAt'>): void {
  const jobs = rememberedJobs();
  if (!jobs.some((j) => j.id === job.id)) return;
  save(jobs.map((j) => (j.id === job.id ? { ...job, savedAt: j.savedAt } : j)));
}

/**
 * Calls `changed` when another tab or window of this browser changes the list (a job submitted, opened or
 * forgotten there): the browser tells other pages of the site by a storage event, never the page that wrote.
 */
export function onRememberedJobsChange(changed: () => void): void {
  window.addEventListener('storage', (e) => {
    if (e.key === KEY || e.key === null) changed();
  });
}

export function forgetJob(id: string): void {
  save(rememberedJobs().filter((j) => j.id !== id));
}

export function forgetAllJobs(): void {
  save([]);
}
