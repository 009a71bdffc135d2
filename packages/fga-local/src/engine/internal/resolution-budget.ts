import { FgaError } from '../errors';

/**
 * The resolution budget of one request: how many more steps it may take. A step is a step into an
 * `object#relation` (a computed relation, a userset, a `from` parent), answered from the memo or not, much
 * like OpenFGA counts dispatches, or a userset or parent tuple read on the way. Every resolver of a request
 * (list users checks each candidate with its own resolver, a batch check's items may use several) spends
 * from the same budget. Running out fails the request with `authorization_model_resolution_too_complex`
 * (2002) instead of letting one request run unbounded.
 */
export class ResolutionBudget {
  private remaining: number;

  constructor(readonly limit: number) {
    this.remaining = limit;
  }

  /** Spends one step; throws the 2002 `FgaError` once the budget is used up. */
  spend(): void {
    if (this.remaining <= 0) {
      throw new FgaError(
        'authorization_model_resolution_too_complex',
        `resolution needed more than ${this.limit} steps (maxResolutionStepsPerRequest)`,
      );
    }
    this.remaining--;
  }
}
