/**
 * How a schedule's source is read, when detection is not enough (the upload's reading options: `delimiter`,
 * `decimal`, `encoding`, `sheet`, `header`), kept with the schedule and given to every run: a Mac Roman export or a
 * CSV without a header row could be uploaded but not scheduled. Schedules made before have none (`{}`: detected).
 */
export const sql = /* sql */ `
ALTER TABLE schedules ADD COLUMN reading jsonb NOT NULL DEFAULT '{}'::jsonb;
`;
