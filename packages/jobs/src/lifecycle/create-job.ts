import { randomUUID } from 'node:crypto';
import { hashToken, newJobToken } from '@batchcast/access';
import { type ByteSource, type ColumnTarget, type HeaderDuplicate, truncate } from '@batchcast/csv';
import { countRecentJobsForMailbox, insertJob, type KeyCompletion, type NewJob } from '@batchcast/db';
import { checkParquetTargets, FormatError, theOtherSheets } from '@batchcast/formats';
import { planColumns } from '@batchcast/inference';
import type { JobsContext } from '../context.js';
import { mailboxOf, parseEmail } from '../email-address.js';
import { DomainError } from '../errors.js';
import { type ApiKeyPrincipal, keyJobToken } from '../keys/api-keys.js';
import { jobOwner } from '../keys/quotas.js';
import { ChunkRowCells, noScoreableRow } from '../inputs/empty-rows.js';
import { type ColumnNames, columnNamesOf, layoutForModel, modelOrderHeader, refuseHeaderReadAsData } from '../inputs/headerless.js';
import { parquetLayoutOf } from '../inputs/parquet-layout.js';
import { readInputBatches } from '../inputs/read-input-batches.js';
import { ChunkRowLines, placeFields, placeKind, rowPlace, withLines } from '../inputs/row-lines.js';
import { columnsAlternatives, explainColumnsRefusal } from '../models/columns-refusal.js';
import { resolveModel } from '../models/registry.js';
import type { JobLayout, Model } from '../records.js';
import { cleanFilename } from '../uploads/filename.js';
import { formatRefusal } from '../uploads/refusals.js';
import type { StoredChunk, StoredUpload } from '../uploads/stored-upload.js';

export interface JobRequest {
  filename: string;
  /** `name` or `name@version`; the default model when empty. */
  model?: string | undefined;
  email?: unknown;
  /** A fixed id (a scheduled run derives it from the run, so a redelivered run makes no second job). */
  id?: string;
  /** The API key submitting the job: the job is its (listed, opened and told about by it) and counts against its quotas. */
  owner?: ApiKeyPrincipal | undefined;
  /**
   * The address was set by an administrator (a schedule), not typed by whoever sends the file: it is not held
   * to EMAILS_PER_ADDRESS_PER_HOUR, which guards addresses against strangers, not against the schedules an
   * operator made for them.
   */
  emailSetByAdmin?: boolean;
  /**
   * The submission's idempotency key, held by this request (`HeldSubmissionKey.completion`): completed with the
   * job in the transaction that records it, so that no crash can leave a job whose key a retry could take again.
   */
  idempotencyKey?: ((job: { id: string; token: string }) => KeyCompletion) | undefined;
}

export interface CreatedJob {
  id: string;
  /** The job's access token, given once to its owner (only its hash is stored). */
  token: string;
  status: 'queued';
  model: { name: string; version: number };
}

const SAMPLE_ROWS = 200;

/**
 * The one way a job is born, shared by uploads (web) and scheduled runs (worker): check the file against
 * the chosen model (a missing column or an unscoreable first sample is refused while the submitter can still
 * act), record the job in PostgreSQL, then queue its scoring. PostgreSQL is the source of truth: if Redis does
 * not answer now, the reconciler queues the job later. The upload is deleted on every refusal.
 */
export async function createJob(ctx: JobsContext, upload: StoredUpload, request: JobRequest): Promise<CreatedJob> {
  try {
    return await recordJob(ctx, upload, request);
  } catch (err) {
    if ((err as { code?: string }).code !== '23505') await ctx.blobs.delete(upload.key).catch(() => undefined);
    throw err;
  }
}

/** What the checks of a job request found: the address to tell, the model, and the columns it reads. */
export interface CheckedRequest {
  email: string | null;
  model: Model;
  targets: ColumnTarget[];
}

/**
 * Every check of a job request that can be made once the header and the first chunk are stored: the email
 * rate, the model, the columns, and a first sample of rows read the way workers will read them.
 */
export async function checkJobRequest(
  ctx: JobsContext,
  key: string,
  layout: JobLayout,
  first: StoredChunk | undefined,
  request: JobRequest,
): Promise<CheckedRequest> {
  const email = await checkRequestEmail(ctx, request);
  const model = await resolveModel(ctx.pool, request.model, ctx.config.models.defaultName);
  const duplicates = layout.format === 'csv' || layout.format === 'xlsx' ? layout.duplicateColumns : undefined;
  const names = columnNamesOf(layout);
  const plan = (m: Model) => planJobColumns(m, layout.format, layout.header, otherSheets(layout), duplicates, names);
  let targets: ColumnTarget[];
  try {
    targets = plan(model);
  } catch (err) {
    const below = headerBelowTitle(layout, model, err);
    throw explainColumnsRefusal(below ?? err, model, await columnsAlternatives(ctx.pool, model, request.model), (m) => plan(m).length >= 0);
  }
  checkColumnTypes(layout, targets);
  await refuseHeaderReadAsData(() => ctx.blobs.open(key), layout, first, model);
  // A header-less file's sample rows are told by the model's names for its columns, as its job's rows will be.
  await checkSample(() => ctx.blobs.open(key), layoutForModel(layout, model), first, targets);
  return { email, model, targets };
}

/**
 * The columns of a file's `header` that feed `model`'s inputs; one the model needs and the header lacks is refused
 * (missing_columns, naming it, with the close names the header has). The one check of the columns, made by
 * checkJobRequest once the upload is stored and, for a CSV whose model was chosen before the file, as soon as its
 * header line has arrived (storeUpload's `headerCheck`), so that both say exactly the same. A file without a
 * header row (`names` other than `header`) has the model's columns by position (modelOrderHeader).
 */
export function planJobColumns(
  model: Model,
  format: JobLayout['format'],
  header: string[],
  elsewhere?: string,
  duplicates: readonly HeaderDuplicate[] = [],
  names: ColumnNames = 'header',
): ColumnTarget[] {
  const columns = names === 'header' ? header : modelOrderHeader(model, header, names);
  const plan = planColumns(model.schema, columns, SOURCE_NAMES[format], undefined, elsewhere);
  if (!plan.ok) throw new DomainError('unprocessable', 'missing_columns', plan.message, { missing: plan.missing });
  // A CSV's or a sheet's header name given twice (renamed `note.1` as pandas does) is refused only when the model reads it:
  // which of the two columns would it read? Any other is carried to the results under its pandas name.
  const used = new Set(plan.targets.flatMap((t) => t.columns));
  const clash = duplicates.find((d) => d.columns.some((c) => used.has(c)));
  if (clash) throw new DomainError('unprocessable', 'duplicate_column', clash.message, { line: clash.line });
  return plan.targets;
}

/**
 * The request's address, checked (a valid one, under its rate): it needs no file, so an upload whose email field
 * comes before the file is checked as soon as the field has arrived (with resolveModel for its model field), and a
 * mistake is answered before the file is sent rather than after.
 */
export async function checkRequestEmail(ctx: JobsContext, request: Pick<JobRequest, 'email' | 'emailSetByAdmin'>): Promise<string | null> {
  const email = parseEmail(request.email, ctx.config.mail.localDomains);
  if (email && !request.emailSetByAdmin) await checkEmailRate(ctx, email);
  return email;
}

/** What each stored format is called in messages about its columns (a JSON array is stored as JSON Lines). */
const SOURCE_NAMES: Record<JobLayout['format'], string> = { csv: 'CSV', xlsx: 'Excel sheet', parquet: 'Parquet file', jsonl: 'file' };

/**
 * A workbook's other worksheets, for a sheet where not one of the model's columns is: the data is most likely
 * on one of them (a "Notes" sheet first). Said as the sheet_not_found refusal lists the sheets, with where the
 * form, the API and the CLI choose one; without it the advice was to delete lines above the header.
 */
function otherSheets(layout: JobLayout): string | undefined {
  if (layout.format !== 'xlsx') return undefined;
  const others = (layout.sheets ?? []).filter((s) => s !== layout.sheet);
  if (others.length === 0) return undefined;
  return (
    `that is sheet "${layout.sheet}", and ${theOtherSheets(others)}: ` +
    'choose the one with the data under "How to read the file → Sheet" on the upload page (the "sheet" field of POST /api/jobs, --sheet in the CLI)'
  );
}

/**
 * A sheet whose header as read holds none of the model's columns, but one of the first rows below it holds at least
 * half of them: the first rows are a title ("Quarterly churn report", an empty row) above the real header. Refused
 * saying on which row the header seems to be, rather than read from there on a guess (the rows above may be meant as
 * data, or the sheet be the wrong one): the person deletes them, as a CSV's title lines are refused (wrong_delimiter).
 * Null when that is not so, and `err` stands.
 */
function headerBelowTitle(layout: JobLayout, model: Model, err: unknown): DomainError | null {
  if (layout.format !== 'xlsx' || !layout.widerRows || layout.headerRow === undefined) return null;
  if (!(err instanceof DomainError) || err.code !== 'missing_columns') return null;
  const named = model.schema.inputs.reduce((k, input) => k + (input.columns?.length ?? 0), 0);
  const missing = (err.details as { missing?: string[] } | undefined)?.missing ?? [];
  if (named === 0 || missing.length !== named) return null;
  const found = layout.widerRows.find(({ texts }) => {
    const plan = planColumns(model.schema, texts, 'Excel sheet');
    return plan.ok || plan.missing.length <= named / 2;
  });
  if (!found) return null;
  const titleRow = layout.headerRow;
  const rows = found.row - 1 === titleRow ? `row ${titleRow} looks` : `rows ${titleRow}-${found.row - 1} look`;
  const title = truncate(titleTexts(layout.header).join(' '), 60);
  return new DomainError(
    'unprocessable',
    'missing_columns',
    `The header seems to be on row ${found.row} of sheet "${layout.sheet}" (${rows} like a title: "${title}"; row ${titleRow} was read as the header): ` +
      'delete the rows above the header and upload the file again.',
    { missing, sheetRow: found.row },
  );
}

/**
 * The texts of a title row read as a header, as the sheet shows them: its blank cells left out, and once each a title
 * merged across the table's width, whose covered columns the header names `<title>_2`, `<title>_3`… (xlsx-to-csv.ts).
 * The refusal quoted "Iris report Iris report_2 Iris report_3 Iris…", a title the person never wrote.
 */
function titleTexts(header: readonly string[]): string[] {
  const merged = (h: string, i: number) => header.slice(0, i).some((p, j) => h === `${p}_${i - j + 1}`);
  return header.filter((h, i) => h.trim() !== '' && !merged(h, i));
}

/** A new job's id and access token (a key's jobs get a token derived from the key, so listing them gives the same links again). */
export function newJobIdentity(request: JobRequest): { id: string; token: string } {
  const id = request.id ?? randomUUID();
  return { id, token: request.owner ? keyJobToken(request.owner.secret, id) : newJobToken().token };
}

async function recordJob(ctx: JobsContext, upload: StoredUpload, request: JobRequest): Promise<CreatedJob> {
  const layout = upload.layout;
  const checked = await checkJobRequest(ctx, upload.key, layout, upload.chunks[0], request);
  const { id, token } = newJobIdentity(request);
  await insertJob(
    ctx.pool,
    newJobRow(id, token, request, checked, { key: upload.key, layout, bytes: upload.size, rows: upload.rows, chunks: upload.chunks }),
    request.owner ? jobOwner(request.owner, upload.rows) : undefined,
    request.idempotencyKey?.({ id, token }),
  );
  await queueOrLeaveToReconciler(ctx, id, () =>
    ctx.queue.enqueueScoring(
      id,
      upload.chunks.map((c) => c.index),
    ),
  );
  logSubmitted(ctx, id, checked.model, layout, upload, request);
  return { id, token, status: 'queued', model: { name: checked.model.name, version: checked.model.version } };
}

/** The row insertJob records for a checked request and its upload (so far, for a job scored while it arrives). */
export function newJobRow(
  id: string,
  token: string,
  request: JobRequest,
  { email, model, targets }: CheckedRequest,
  upload: { key: string; layout: JobLayout; bytes: number; rows: number; chunks: StoredChunk[] },
): NewJob {
  return {
    id,
    tokenHash: hashToken(token),
    modelId: model.id,
    email,
    filename: cleanFilename(request.filename),
    uploadKey: upload.key,
    bytes: upload.bytes,
    layout: layoutForModel(upload.layout, model),
    targets,
    rowsTotal: upload.rows,
    chunks: upload.chunks,
  };
}

/** Queues a recorded job's work: it is safe in PostgreSQL, so if Redis does not answer now, the reconciler queues it. */
export async function queueOrLeaveToReconciler(ctx: JobsContext, jobId: string, queue: () => Promise<void>): Promise<void> {
  try {
    await queue();
  } catch (err) {
    ctx.log.warn({ jobId, err: (err as Error).message }, 'could not queue job now; the reconciler will');
  }
}

/** The one log line of a job submitted (`early`: scored while its upload arrived). */
export function logSubmitted(
  ctx: JobsContext,
  jobId: string,
  model: { name: string; version: number },
  layout: JobLayout,
  upload: { rows: number; chunks: unknown[] },
  request: JobRequest,
  early = false,
): void {
  ctx.log.info(
    {
      jobId,
      model: `${model.name}@${model.version}`,
      format: layout.format,
      rows: upload.rows,
      chunks: upload.chunks.length,
      keyId: request.owner?.id,
      ...(early ? { early: true } : {}),
    },
    'job submitted',
  );
}

/**
 * Anyone may type any address into the form, so the server must not become a way to flood one: an address
 * (a mailbox: `mailboxOf`, so `+tags` do not count apart) is sent at most EMAILS_PER_ADDRESS_PER_HOUR job emails an hour, and an upload asking for more is refused
 * while the submitter is still there (the job could be submitted without an email).
 */
async function checkEmailRate(ctx: JobsContext, email: string): Promise<void> {
  const limit = ctx.config.abuse.emailsPerAddressPerHour;
  if ((await countRecentJobsForMailbox(ctx.pool, mailboxOf(email), 60)) < limit) return;
  throw new DomainError(
    'rate_limited',
    'email_rate_limited',
    `This address has asked for ${limit} job emails in the last hour, the most we send to one address. Submit without an email (keep the job's link), or try again later.`,
    { retryAfterSeconds: 15 * 60 },
  );
}

/**
 * Columns whose values can never feed the model input they are matched to (a nested Parquet column, dates
 * into a numeric input) are refused now, naming the column, rather than failing every row later.
 */
function checkColumnTypes(layout: JobLayout, targets: ColumnTarget[]): void {
  if (layout.format !== 'parquet') return;
  try {
    checkParquetTargets(parquetLayoutOf(layout), targets);
  } catch (err) {
    throw err instanceof FormatError ? formatRefusal(err) : err;
  }
}

/** The first failed rows of a refused sample, a reason said once for the rows in a row that share it. */
function sampleExamples(rows: { row: number; line?: number | null; message: string }[], kind: ReturnType<typeof placeKind>): string[] {
  const out: { places: string[]; message: string }[] = [];
  for (const e of rows) {
    const place = rowPlace(e.row + 1, e.line ?? null, kind);
    const last = out.at(-1);
    if (last?.message === e.message) last.places.push(place);
    else out.push({ places: [place], message: e.message });
  }
  return out.map((g) => `${g.places.join(', ')}: ${g.message}`);
}

/** A number written with a decimal comma (`0,038`, `-1,5e3`), which a file read with the decimal point cannot read. */
const DECIMAL_COMMA = /^[+-]?[0-9]*,[0-9]+([eE][+-]?[0-9]+)?$/;

/**
 * The refusal of a sample none of whose rows can be read because its numbers have a decimal comma and the file is
 * read with the point (chosen so, or a `;` file detected so): one sentence saying which option to change, instead
 * of every cell of three rows with the same reason (5,700 characters for a 10-column file).
 */
function decimalCommaRefusal(
  named: { row: number; line?: number | null; column: string | null; value: string | null }[],
  layout: JobLayout,
  count: number,
  errors: unknown[],
): DomainError | null {
  if (layout.format !== 'csv' || (layout.decimal ?? '.') !== '.') return null;
  const cells = named.filter((e) => e.column !== null && e.value !== null);
  if (cells.length === 0 || cells.length < named.length || !cells.every((e) => DECIMAL_COMMA.test(e.value!.trim()))) return null;
  const first = cells[0]!;
  return new DomainError(
    'unprocessable',
    'wrong_decimal',
    `None of the first ${count} rows can be scored: their numbers have a decimal comma ("${first.value}" in column "${first.column}", ` +
      `${rowPlace(first.row + 1, first.line ?? null, placeKind(layout))}), and the file is read with the decimal point. ` +
      'Choose the comma as the decimal separator (under "How to read the file" on the upload page, decimal="," in the API, ' +
      '--decimal comma in the CLI), or let it be detected, and upload the file again.',
    { errors },
  );
}

/**
 * A first sample of rows must be scoreable: if every one of them fails, the file is almost surely the
 * wrong one (or has a wrong delimiter/format), and the submitter hears it now rather than by email later.
 * Read the way the workers will read it, whatever the format.
 */
async function checkSample(source: ByteSource, layout: JobLayout, first: StoredChunk | undefined, targets: ColumnTarget[]): Promise<void> {
  if (!first) return;
  // Only the sample's rows: a Parquet chunk is decoded whole, column by column, before its first batch
  // (122,880 rows of every input for DuckDB's row groups; +74 MB of the web process's RSS for the bench's file).
  const sample = { ...first, rows: Math.min(SAMPLE_ROWS, first.rows) };
  const lines = new ChunkRowLines(source, layout, sample);
  const cells = new ChunkRowCells(source, layout, sample);
  try {
    for await (const batch of readInputBatches(source, layout, sample, targets, sample.rows)) {
      // Rows that fail, empty rows, and rows with no value for the model: none gives a prediction.
      const unscoreable = await noScoreableRow(batch, targets, layout.format, cells);
      if (unscoreable) {
        // Only the rows named: their lines are counted now, the file being refused.
        const named = await withLines(unscoreable.slice(0, 10), lines);
        const errors = named.map((e) => ({ ...e, row: e.row + 1, ...placeFields(e.line, placeKind(layout)) }));
        const decimalComma = decimalCommaRefusal(named, layout, batch.count, errors);
        if (decimalComma) throw decimalComma;
        const examples = sampleExamples(named.slice(0, 3), placeKind(layout));
        throw new DomainError(
          'unprocessable',
          'invalid_rows',
          `None of the first ${batch.count} rows can be scored. ${examples.join('; ')}. Check that this is the right file for the model.`,
          // Rows counted from 1, as the message, errors.csv and a job's failures count them (RowError's are from 0);
          // `line` where the row starts in a text file, `sheetRow` in a workbook (null otherwise), as a job's failures give them.
          { errors },
        );
      }
      return;
    }
  } catch (err) {
    throw err instanceof FormatError ? formatRefusal(err) : err;
  } finally {
    await lines.close();
    await cells.close();
  }
}
