import { FgaError } from '../errors';

/**
 * The resolution budget of one request: how many more steps into an `object#relation` (a computed relation,
 * a userset, a `from` parent) it may take, answered from the memo or not, much like OpenFGA counts
 * dispatches. Every resolver of a request (list users checks each candidate with its own resolver, a batch
 * check's items may use several) spends from the same budget. Running out fails the request with
 * `authorization_model_resolution_too_complex` (2002) instead of letting one request run unbounded.
 */
export class ResolutionBudget {
  private remaining: number;

  constructor(readonly limit: number) {
    this.remaining = limit;
  }

  /** Spends one resolution; throws the 2002 `FgaError` once the budget is used up. */
  spend(): void {
    if (this.remaining <= 0) {
      throw new FgaError(
        'authorization_model_resolution_too_complex',
        `resolution needed more than ${this.limit} resolutions (maxResolutionsPerRequest)`,
      );
    }
    this.remaining--;
  }
}
