// What the upload page says about a model: in its card and (server) under the model select, and again
// (browser) when another model is chosen. Pure functions.

/** What the texts need to know of a model. */
export interface ModelFacts {
  name: string;
  /** The input columns by name; null when the model does not name them. */
  columns: string[] | null;
  task?: 'classifier' | 'regressor';
  classLabels?: (string | number)[] | null;
}

/** "Predicts one of 3 classes: setosa, versicolor, virginica.", "Predicts a number.", or nothing. */
export function taskText(m: ModelFacts): string {
  if (m.task === 'classifier') {
    const labels = m.classLabels ?? [];
    const shown = labels.slice(0, 6).map(String).join(', ');
    return labels.length
      ? `Predicts one of ${labels.length} classes: ${shown}${labels.length > 6 ? ` and ${labels.length - 6} more` : ''}.`
      : 'Predicts a class.';
  }
  if (m.task === 'regressor') return 'Predicts a number.';
  return '';
}

/** "4 columns needed". */
export function columnsNeeded(columns: string[]): string {
  return `${columns.length} column${columns.length === 1 ? '' : 's'} needed`;
}

/** What the model predicts and which columns it needs, in a sentence or two. */
export function modelSummary(m: ModelFacts): string {
  const cols = m.columns
    ? `Needs ${m.columns.length} column${m.columns.length === 1 ? '' : 's'}: ${m.columns.slice(0, 8).join(', ')}${m.columns.length > 8 ? ', …' : ''}.`
    : '';
  return [taskText(m), cols].filter(Boolean).join(' ');
}

/** Where the model's sample CSV is downloaded. */
export function sampleHref(name: string): string {
  return `/models/${encodeURIComponent(name)}/sample.csv`;
}
