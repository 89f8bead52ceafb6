import type { Caller } from '../core/index.ts';
import type { Queryable } from '../store/index.ts';
import { createUseCaseStore, mayUseUseCase } from './use-cases.ts';

/**
 * Names of the use cases `caller` may ask through (`mayUseUseCase`, the one use-case access rule). Other
 * features that scope something by use case (trace review in observe) take this list from the edge instead of
 * reading the `use_cases` table themselves.
 */
export async function usableUseCaseNames(db: Queryable, caller: Caller): Promise<string[]> {
  const useCases = await createUseCaseStore(db).list();
  return useCases.filter((useCase) => mayUseUseCase(useCase, caller)).map((useCase) => useCase.name);
}
