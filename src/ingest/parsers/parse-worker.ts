/**
 * Entry of a parse worker thread (see `parse-isolated.ts`). Receives `parse` requests, answers with the
 * parsed document or a serialised GroundworkError; `close` stops its OCR engine so the thread can exit.
 */
import { parentPort } from 'node:worker_threads';
import { isGroundworkError } from '../../core/index.ts';
import { terminateSharedOcr } from './ocr/ocr-engine.ts';
import { parseDocument } from './parse-document.ts';
import type { WorkerReply, WorkerRequest } from './parse-isolated.ts';

const port = parentPort;
if (!port) throw new Error('parse-worker.ts must run in a worker thread');

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'close') {
    terminateSharedOcr()
      .catch(() => {})
      .finally(() => port.close());
    return;
  }
  const id = request.id;
  const onPage = (page: number) => port.postMessage({ type: 'page', id, page } satisfies WorkerReply);
  parseDocument({ ...request.input, onPage }).then(
    (document) => port.postMessage({ type: 'result', id: request.id, document } satisfies WorkerReply),
    (error: unknown) => {
      const reply: WorkerReply = isGroundworkError(error)
        ? {
            type: 'error',
            id: request.id,
            error: {
              code: error.code,
              message: error.message,
              fix: error.fix,
              category: error.category,
              isRetryable: error.isRetryable,
              details: error.details,
            },
          }
        : { type: 'crash', id: request.id, message: error instanceof Error ? error.message : String(error) };
      port.postMessage(reply);
    },
  );
});
