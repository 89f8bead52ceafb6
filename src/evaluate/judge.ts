import { generateText, type LanguageModel, Output } from 'ai';
import { z } from 'zod';

/**
 * Optional judge model (AI SDK structured output): grades an answer's correctness against the reference
 * and its faithfulness to the cited text, 0–1 each. Used only when a judge model is given explicitly
 * (`groundwork eval run --judge provider:model`): it sends questions, answers and cited text to that
 * provider, so choose one your egress policy trusts.
 */
export interface JudgeInput {
  readonly question: string;
  readonly answer: string;
  readonly referenceAnswer: string | null;
  readonly citedTexts: readonly string[];
}

export interface JudgeVerdict {
  /** Absent when the case has no reference answer. */
  readonly correctness?: number;
  readonly faithfulness: number;
}

export type EvalJudge = (input: JudgeInput) => Promise<JudgeVerdict>;

const verdictSchema = z.object({
  correctness: z
    .number()
    .min(0)
    .max(1)
    .nullable()
    .describe('1 = same meaning as the reference, 0 = wrong; null without reference'),
  faithfulness: z.number().min(0).max(1).describe('share of the answer supported by the cited passages'),
  reason: z.string().describe('one sentence'),
});

const instructions = `You grade answers of a document question-answering system.
Return JSON only. "correctness": 1 when the answer means the same as the reference answer (wording may differ),
0.5 when partially, 0 when wrong or missing; null when no reference is given. "faithfulness": the share of the
answer's claims supported by the cited passages (numbers, negations and who-does-what must match).`;

export function createJudge(model: LanguageModel): EvalJudge {
  return async (input) => {
    const passages = input.citedTexts.map((text, i) => `[${i + 1}] ${text}`).join('\n\n');
    const { output } = await generateText({
      model,
      system: instructions,
      prompt: `Question: ${input.question}\n\nReference answer: ${input.referenceAnswer ?? '(none)'}\n\nAnswer: ${input.answer}\n\nCited passages:\n${passages || '(none)'}`,
      output: Output.object({ schema: verdictSchema }),
      temperature: 0,
    });
    return {
      faithfulness: output.faithfulness,
      ...(input.referenceAnswer && output.correctness !== null ? { correctness: output.correctness } : {}),
    };
  };
}
