/**
 * Files people register by mistake that have a way in: the refusal says the way (the fix they can make), not
 * only what batchcast reads. Files made by fixtures/hints/make_hints.py with scikit-learn 1.2 and XGBoost 1.7.
 */
import { describe, expect, it } from 'vitest';
import { fixtureBytes } from './helpers.js';
import { importRefusal } from './refusals.js';

describe('refusals that say the way in', () => {
  it("a pickled XGBoost Booster: save it with save_model('model.json')", async () => {
    const err = await importRefusal(fixtureBytes('hints/booster.pkl'), 'booster.pkl');
    expect(err.code).toBe('unsupported_class');
    expect(err.message).toContain("A pickled XGBoost Booster is not read: save it with booster.save_model('model.json')");
  });

  it("XGBoost's old binary format (save_model to a name ending in neither .json nor .ubj): save it again as .json", async () => {
    const err = await importRefusal(fixtureBytes('hints/booster.model'), 'booster.model');
    expect(err.code).toBe('unrecognized_format');
    expect(err.message).toContain("It looks like XGBoost's old binary format");
    expect(err.message).toContain("save it again with save_model('model.json')");
  });

  it('a fitted GridSearchCV: register the best_estimator_ it chose', async () => {
    const err = await importRefusal(fixtureBytes('hints/grid-search.joblib'), 'grid-search.joblib');
    expect(err.code).toBe('unsupported_class');
    expect(err.message).toContain('GridSearchCV');
    expect(err.message).toContain("save search.best_estimator_ (joblib.dump(search.best_estimator_, 'model.joblib'))");
    // What it reads does not list the Booster, which it reads only inside a pickled XGBClassifier or XGBRegressor.
    expect(err.message).toContain('XGBRegressor');
    expect(err.message).not.toContain('Booster');
  });

  it('an XGBoost JSON model cut anywhere is truncated, not "not valid JSON"', async () => {
    const whole = fixtureBytes('xgboost/binary-logistic.json');
    for (const cut of [0.1, 0.37, 0.5, 0.81, 0.99]) {
      const err = await importRefusal(whole.subarray(0, Math.floor(whole.length * cut)), 'model.json');
      expect(err.code, `cut at ${cut}`).toBe('truncated');
      expect(err.message).toMatch(/incomplete.*upload the complete file again/);
    }
  });
});
