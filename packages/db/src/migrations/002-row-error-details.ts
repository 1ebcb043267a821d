/**
 * Structured row errors: next to each failed row's message, the column at fault and the offending cell
 * (as the CSV package's RowError reports them), so the errors CSV lists row, column, value and reason
 * without parsing messages. Nullable: batches stored before this migration have only the messages, and a
 * ragged row has no single column at fault.
 */
export const sql = /* sql */ `
ALTER TABLE prediction_batches ADD COLUMN error_columns text[], ADD COLUMN error_values text[];
`;
