// How a model's columns are found in a header (HeaderIndex), and hints for names not found (a model's columns in a
// header, a model name): the closest name there is, and invisible characters shown. Used by the server (@batchcast/inference's column plan, the model registry) and by
// the browser, which loads this build as it is from /static/names/dist/. Pure, no imports of other packages:
// nothing here may need Node or a bundler.
export {
  closestName,
  describeMissing,
  hasInvisible,
  invisibleCodes,
  MATCHING,
  type MissingNames,
  missingAdvice,
  noHeaderHint,
  printedTableHint,
  showInvisible,
} from './name-hints.js';
export { codePointEscape, codePointName, holds, INVISIBLE, REORDERING, UNSHOWABLE } from './unseen-characters.js';
export { columnKey, HeaderIndex, type HeaderMatch } from './header-index.js';
export { caseClashKey, caseClashMessage } from './case-clash.js';
export { type NamedTwice, pandasHeader } from './pandas-renames.js';
export { pythonWordsAsJson } from './json-non-finite.js';
export { indexColumnName, type PandasJsonLayout, pandasJsonLayout } from './pandas-json-layout.js';
export { type DelimiterSplit, NUMBER_CELL, numberCellShare, winsDelimiterTie } from './number-cells.js';
