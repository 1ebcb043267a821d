import { sql as initial } from './001-initial.js';

/** Ordered list of migrations; append only, never edit one that has shipped. */
export const migrations: { id: string; sql: string }[] = [{ id: '001-initial', sql: initial }];
