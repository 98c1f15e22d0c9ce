import { type Entry, OPERATIONS, type Operation } from '../operations/manifest';
import { type OperationRequest, type OperationResult, operationHandler } from '../operations/operation';
import type { ManagementHandler } from '../operations/stack';
import { keyConfig } from './config';
import type { Services } from './services';
import { functionServices } from './wiring';

type Row<E extends Entry> = (typeof OPERATIONS)[E];

/** A handler's request: parsed per its row, with the services its row allows (none without table access). */
export type HandlerRequest<E extends Entry> = OperationRequest<Row<E>> &
  (Row<E>['table'] extends readonly [] ? unknown : { services: Services });

/**
 * The Lambda handler of the operation `entry` (its manifest row): the entry file only says what
 * the operation does. Called at module load, so the configuration the row needs (table, catalog,
 * KMS or local master key, scheduler) is validated at cold start.
 */
export function operation<E extends Entry>(
  entry: E,
  handle: (request: HandlerRequest<E>) => Promise<OperationResult<Row<E>>>,
): ManagementHandler {
  const row: Operation = OPERATIONS[entry];
  const services = row.table.length > 0 ? functionServices(row) : undefined;
  return operationHandler(OPERATIONS[entry], { catalog: keyConfig().catalog }, async (request) =>
    handle({ ...request, ...(services ? { services: await services() } : {}) } as HandlerRequest<E>),
  );
}
