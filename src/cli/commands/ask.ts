import type { Command } from 'commander';
import type { Answer, AnswerEvent } from '../../answer/index.ts';
import { GroundworkError } from '../../core/index.ts';
import { withMappedIdentities } from '../../govern/index.ts';
import type { CliRuntime } from '../context.ts';
import { callerFromAs } from '../principals.ts';

interface AskOptions {
  as?: string;
  useCase?: string;
  stream: boolean;
}

/** Citations, confidence and mode under the answer text. */
export function renderAnswerFooter(answer: Answer): string {
  const lines: string[] = [];
  if (answer.citations.length > 0) {
    lines.push('', 'Sources:');
    for (const c of answer.citations) {
      lines.push(`  [${c.n}] ${c.title || c.uri}${c.page === null ? '' : `, p. ${c.page}`}  ${c.uri}`);
      lines.push(`      ${c.snippet.replace(/\s+/g, ' ').slice(0, 200)}`);
    }
  }
  const usage = answer.mode === 'generative' ? ` · tokens ${answer.usage.inputTokens} in / ${answer.usage.outputTokens} out` : '';
  lines.push(
    '',
    `${answer.label} · confidence ${answer.confidence.toFixed(2)}${answer.refused ? ` · refused (${answer.refusalReason})` : ''}${usage} · use case ${answer.useCase} · trace ${answer.traceId}`,
  );
  if (answer.citationsRemoved > 0) lines.push(`${answer.citationsRemoved} citation(s) pointing at no passage were removed.`);
  for (const warning of answer.warnings ?? []) {
    const cited = answer.citations.filter((c) => c.documentId === warning.documentId).map((c) => `[${c.n}]`);
    lines.push(`Warning${cited.length > 0 ? ` ${cited.join('')}` : ''}: ${warning.message}`);
  }
  if (answer.egress && (answer.egress.blocked > 0 || Object.keys(answer.egress.redacted).length > 0)) {
    const redacted = Object.entries(answer.egress.redacted)
      .map(([type, n]) => `${n} ${type}`)
      .join(', ');
    lines.push(
      `Egress to ${answer.egress.provider}: ${answer.egress.blocked} passage(s) withheld by policy${redacted ? `; redacted ${redacted}` : ''}.`,
    );
  }
  return lines.join('\n');
}

/** `groundwork ask QUESTION`: a cited answer, streamed on a terminal. */
export function registerAskCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('ask')
    .description('answer a question from the documents the caller may read, with citations')
    .argument('<question...>', 'the question')
    .option('--as <principals>', 'ask as these principals (comma-separated user:…/group:…); default: local operator')
    .option('--use-case <name>', 'use case (default: "default")')
    .option('--no-stream', 'print the answer only when it is complete')
    .action(
      runtime.action(async (context, words: string[], options: AskOptions) => {
        const question = words.join(' ');
        const out = context.io.stdout;
        const live = options.stream && Boolean(out.isTTY) && !context.output.json;
        let streamed = '';
        let events: AsyncIterable<AnswerEvent>;
        const api = context.api();
        if (api) {
          if (options.as !== undefined) {
            throw new GroundworkError(
              'cli.as_with_server',
              '--as cannot be used with --server: the server knows the caller from the API key.',
              {
                category: 'usage',
                fix: 'Drop --as, or ask directly against the store (without --server).',
              },
            );
          }
          events = (async function* () {
            for await (const event of api.stream('/v1/answers', {
              question,
              stream: true,
              ...(options.useCase ? { useCase: options.useCase } : {}),
            })) {
              if (event.event === 'token')
                yield { type: 'token', text: (JSON.parse(event.data) as { text: string }).text } as AnswerEvent;
              else if (event.event === 'final') yield { type: 'final', answer: JSON.parse(event.data) as Answer } as AnswerEvent;
              else if (event.event === 'error') {
                const body = JSON.parse(event.data) as { error?: { code?: string; message?: string; fix?: string } };
                throw new GroundworkError(
                  body.error?.code ?? 'answer.failed',
                  body.error?.message ?? 'The server failed to answer.',
                  {
                    category: 'unavailable',
                    ...(body.error?.fix ? { fix: body.error.fix } : {}),
                  },
                );
              }
            }
          })();
        } else {
          const platform = await context.platform();
          events = platform.answerer.stream({
            question,
            caller: await withMappedIdentities(platform.db, callerFromAs(options.as)),
            ...(options.useCase ? { useCase: options.useCase } : {}),
          });
        }
        for await (const event of events) {
          if (event.type === 'token') {
            if (live) {
              out.write(event.text);
              streamed += event.text;
            }
            continue;
          }
          const answer = event.answer;
          const wire = {
            answer: answer.answer,
            citations: answer.citations,
            confidence: answer.confidence,
            refused: answer.refused,
            ...(answer.refusalReason ? { refusalReason: answer.refusalReason } : {}),
            mode: answer.mode,
            label: answer.label,
            usage: answer.usage,
            traceId: answer.traceId,
            useCase: answer.useCase,
            ...(answer.model ? { model: answer.model } : {}),
            promptVersion: answer.promptVersion,
            citationsRemoved: answer.citationsRemoved,
            // A server from before warnings existed sends none.
            warnings: answer.warnings ?? [],
            confidenceParts: answer.confidenceParts,
            ...(answer.egress ? { egress: answer.egress } : {}),
            tookMs: answer.tookMs,
          };
          context.output.result(wire, () => {
            // What was streamed is the model's text as the reader sees it (citations renumbered, dead ones
            // dropped); when the checks changed it (a refusal), print the final version too.
            const changed = streamed.trim() !== answer.answer.trim();
            const body = !live ? answer.answer : changed ? `\n\n— checked answer —\n${answer.answer}` : '';
            return `${body}${live && !changed ? '\n' : ''}${renderAnswerFooter(answer)}`;
          });
        }
        return 0;
      }),
    );
}
