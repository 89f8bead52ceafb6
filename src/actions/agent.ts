import { generateText, type LanguageModel, type StopCondition, stepCountIs, type ToolSet, tool } from 'ai';
import { z } from 'zod';
import { assertMayUseUseCase, type UseCase } from '../answer/index.ts';
import { type ActiveSpan, type Caller, GroundworkError, type Tracer } from '../core/index.ts';
import { authorize } from '../govern/index.ts';
import type { ModelDescription } from '../models/index.ts';
import { type PriceTable, priceFor } from '../observe/index.ts';
import { decideEgress } from '../protect/index.ts';
import type { SearchHit, SearchRequest } from '../retrieve/index.ts';
import { type ActionDeps, listInvokableActions, type ProposalDetail, proposeAction } from './proposals.ts';

/**
 * An agent per use case (opt-in, `agents.useCases.<name>`): the answerer with tools, through the AI SDK's tool
 * calling. Tools: `search` (permission-aware: the caller's search) and the caller's allowed actions — a
 * `propose` action called by the agent becomes a durable proposal (proposer `agent:<use case>`, on behalf of
 * the caller) instead of executing; the AI SDK's in-memory tool approval does not survive a restart, the
 * proposal does. A step limit and a token/cost budget per run stop it with a clear outcome; every step and
 * tool call (inputs and outputs, ids rather than passage text) is a span of the run's trace.
 */

export interface AgentDeps extends ActionDeps {
  readonly tracer: Tracer;
  readonly search: (request: SearchRequest) => Promise<{ hits: readonly SearchHit[] }>;
  /** The use case as answers run it (its model configuration applied). */
  readonly resolveUseCase: (name: string) => Promise<{ useCase: UseCase; modelRef: string | undefined }>;
  readonly models: {
    chat(ref: string): LanguageModel;
    describe(ref: string): ModelDescription;
    readonly defaultChat: string | undefined;
  };
  readonly prices?: PriceTable;
  /** Whether the use case is available to the caller now (rollout stage, kill switch): the answerer's rule. */
  readonly availability?: (useCase: string, caller: Caller) => Promise<void>;
  readonly agentsConfig: ActionDeps['config']['agents'] & {
    readonly useCases: Readonly<
      Record<
        string,
        {
          enabled: boolean;
          model?: string | undefined;
          maxSteps: number;
          maxTokens: number;
          maxCostUsd?: number | undefined;
          actions?: string[] | undefined;
          instructions?: string | undefined;
        }
      >
    >;
  };
}

export type AgentOutcome = 'completed' | 'step_limit' | 'budget_exceeded';

export interface AgentToolCall {
  readonly step: number;
  readonly tool: string;
  readonly input: unknown;
  readonly output: unknown;
}

export interface AgentRun {
  readonly traceId: string;
  readonly useCase: string;
  readonly outcome: AgentOutcome;
  /** Why it stopped, for people. */
  readonly message: string;
  readonly text: string;
  readonly steps: number;
  readonly toolCalls: readonly AgentToolCall[];
  readonly proposals: ReadonlyArray<Pick<ProposalDetail, 'id' | 'action' | 'status'>>;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number | null };
}

export interface AgentRunInput {
  readonly task: string;
  /** At most the configured `maxSteps`. */
  readonly maxSteps?: number;
  readonly signal?: AbortSignal;
}

const clip = (value: unknown, max = 4000) => {
  const text = JSON.stringify(value ?? null);
  return text.length > max ? `${text.slice(0, max)}…` : text;
};

/** Runs the agent of `useCaseName` for `caller` on `task`. `ask` + `actions:propose` (tools are the caller's). */
export async function runAgent(deps: AgentDeps, caller: Caller, useCaseName: string, input: AgentRunInput): Promise<AgentRun> {
  authorize(caller, 'ask');
  const agent = deps.agentsConfig.useCases[useCaseName];
  if (!agent?.enabled) {
    throw new GroundworkError('actions.agent_not_enabled', `Use case "${useCaseName}" has no agent.`, {
      category: 'not_found',
      fix: `Enable it under agents.useCases.${useCaseName} in the configuration.`,
    });
  }
  const { useCase, modelRef: useCaseModel } = await deps.resolveUseCase(useCaseName);
  assertMayUseUseCase(useCase, caller);
  await deps.availability?.(useCaseName, caller);
  const modelRef = agent.model ?? useCaseModel ?? deps.models.defaultChat;
  if (!modelRef) {
    throw new GroundworkError(
      'actions.agent_needs_model',
      `Agents need a model: use case "${useCaseName}" has none configured.`,
      {
        category: 'conflict',
        fix: `Configure a model provider and models.chat (or agents.useCases.${useCaseName}.model); extractive answers need none, agents do.`,
      },
    );
  }
  const description = deps.models.describe(modelRef);
  const model = deps.models.chat(modelRef);
  const price = deps.prices ? priceFor(deps.prices, description.provider, description.modelId) : undefined;
  const maxSteps = Math.min(input.maxSteps ?? agent.maxSteps, agent.maxSteps);
  const task = input.task.trim();
  const root = deps.tracer.startSpan('agent.run', undefined, {
    'groundwork.operation': 'agent',
    'groundwork.use_case': useCaseName,
    'groundwork.caller': caller.id,
    'groundwork.caller.sees_everything': caller.seesEverything,
    'groundwork.question': task,
    'groundwork.agent.max_steps': maxSteps,
    'groundwork.agent.max_tokens': agent.maxTokens,
    'gen_ai.request.model': description.modelId,
    'gen_ai.provider.name': description.providerType,
  });
  const toolCalls: AgentToolCall[] = [];
  const proposals: Array<Pick<ProposalDetail, 'id' | 'action' | 'status'>> = [];
  let step = 0;
  const traced = async (name: string, toolInput: unknown, work: () => Promise<unknown>) => {
    const span: ActiveSpan = deps.tracer.startSpan('agent.tool', root.context, {
      'groundwork.tool.name': name,
      'groundwork.tool.input': clip(toolInput),
      'groundwork.agent.step': step + 1,
    });
    try {
      const output = await work();
      span.setAttributes({ 'groundwork.tool.output': clip(output) });
      span.end();
      toolCalls.push({ step: step + 1, tool: name, input: toolInput, output });
      return output;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = error instanceof GroundworkError ? error.code : 'internal.unexpected';
      span.setAttributes({ 'groundwork.tool.output': clip({ error: code, message }) });
      span.fail(error);
      toolCalls.push({ step: step + 1, tool: name, input: toolInput, output: { error: code, message } });
      // The model sees the refusal (a bad input, a policy refusal) and may correct itself.
      return { error: code, message };
    }
  };

  const tools: ToolSet = {
    search: tool({
      description:
        'Search the documents you may read. Returns passages with their documentId and chunkId (cite them as evidence).',
      inputSchema: z.object({ query: z.string().min(1).max(1000), k: z.number().int().min(1).max(20).optional() }),
      execute: async ({ query, k }) => {
        const { hits } = await deps.search({ query, caller, k: k ?? 5, trace: root.context });
        // What the provider may receive: passages above its sensitivity are withheld (the answerer's egress rule).
        const egress = decideEgress({
          provider: description.providerConfig,
          providerName: description.provider,
          items: hits.map((h) => ({ id: h.chunkId, sensitivity: h.sensitivity, text: h.text })),
        });
        const allowed = new Map(egress.items.filter((i) => i.outcome !== 'blocked').map((i) => [i.id, i.text ?? '']));
        const passages = hits
          .filter((h) => allowed.has(h.chunkId))
          .map((h) => ({ documentId: h.documentId, chunkId: h.chunkId, title: h.title, text: allowed.get(h.chunkId) }));
        // The trace keeps ids and scores only: a trace reader may not read these documents.
        await traced('search', { query, k: k ?? 5 }, async () => ({
          hits: hits.map((h) => ({ documentId: h.documentId, chunkId: h.chunkId, score: h.scores.fused })),
          withheldByEgress: egress.totals.blocked,
        }));
        return { passages };
      },
    }),
  };
  const invokable = await listInvokableActions(deps, caller, { useCase: useCaseName }).catch((error) => {
    // A caller without actions:read gets search only.
    if (error instanceof GroundworkError && error.code === 'auth.forbidden') return [];
    throw error;
  });
  for (const action of invokable) {
    if (agent.actions && !agent.actions.includes(action.name)) continue;
    const definition = deps.registry.require(action.name);
    tools[`action_${action.name}`] = tool({
      description: `${action.description} (class ${action.class}: ${action.class === 'propose' ? 'creates a proposal a person must approve' : 'runs at once'})`,
      inputSchema: z.object({
        input: definition.input,
        reasoning: z.string().min(1).max(2000).describe('why, in a sentence or two, for the approver'),
        evidence: z
          .array(z.object({ documentId: z.string(), chunkId: z.string().optional() }))
          .max(20)
          .optional()
          .describe('the passages this is based on'),
      }),
      execute: async (args) =>
        traced(`action_${action.name}`, args, async () => {
          const proposal = await proposeAction(deps, caller, {
            action: action.name,
            input: args.input,
            useCase: useCaseName,
            reasoning: args.reasoning,
            ...(args.evidence ? { evidence: args.evidence } : {}),
            proposerId: `agent:${useCaseName}`,
            onBehalfOf: caller.id,
            traceId: root.context.traceId,
          });
          proposals.push({ id: proposal.id, action: proposal.action, status: proposal.status });
          return { proposalId: proposal.id, status: proposal.status, result: proposal.result };
        }),
    });
  }

  let inputTokens = 0;
  let outputTokens = 0;
  const cost = () =>
    price ? (inputTokens * (price.inputPerMillion ?? 0) + outputTokens * (price.outputPerMillion ?? 0)) / 1_000_000 : null;
  let budgetHit = false;
  const overBudget: StopCondition<ToolSet> = () => {
    const spent = cost();
    budgetHit =
      inputTokens + outputTokens >= agent.maxTokens ||
      (agent.maxCostUsd !== undefined && spent !== null && spent >= agent.maxCostUsd);
    return budgetHit;
  };
  let lastStepAt = performance.now();
  try {
    const result = await generateText({
      model,
      instructions: [
        agent.instructions ??
          'You are an assistant that can search documents and propose actions. Base every action on passages you found, cite them as evidence, and give a short reasoning. Proposed actions wait for a person to approve them.',
        `Use case: ${useCaseName}. ${useCase.description}`,
      ].join('\n'),
      prompt: task,
      tools,
      stopWhen: [stepCountIs(maxSteps), overBudget],
      maxRetries: 1,
      ...(input.signal ? { abortSignal: input.signal } : {}),
      onStepFinish: (stepResult) => {
        step += 1;
        inputTokens += stepResult.usage.inputTokens ?? 0;
        outputTokens += stepResult.usage.outputTokens ?? 0;
        const span = deps.tracer.startSpan('agent.step', root.context, {
          'groundwork.agent.step': step,
          'groundwork.agent.finish_reason': String(stepResult.finishReason),
          'groundwork.agent.tool_calls': stepResult.toolCalls.map((c) => c.toolName).join(','),
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': description.modelId,
          'gen_ai.provider.name': description.providerType,
          'gen_ai.usage.input_tokens': stepResult.usage.inputTokens ?? 0,
          'gen_ai.usage.output_tokens': stepResult.usage.outputTokens ?? 0,
          'groundwork.agent.step_ms': Math.round(performance.now() - lastStepAt),
        });
        lastStepAt = performance.now();
        span.end();
      },
    });
    const lastStep = result.steps.at(-1);
    const wantedMore = lastStep?.finishReason === 'tool-calls';
    const outcome: AgentOutcome = budgetHit && wantedMore ? 'budget_exceeded' : wantedMore ? 'step_limit' : 'completed';
    const message =
      outcome === 'completed'
        ? `Finished in ${result.steps.length} step(s).`
        : outcome === 'step_limit'
          ? `Stopped at the step limit (${maxSteps}) before the agent finished.`
          : `Stopped: the run's budget (${agent.maxTokens} tokens${agent.maxCostUsd !== undefined ? ` or $${agent.maxCostUsd}` : ''}) is spent.`;
    root.setAttributes({
      'groundwork.answer': result.text,
      'groundwork.agent.outcome': outcome,
      'groundwork.agent.steps': result.steps.length,
      'groundwork.agent.proposals': proposals.map((p) => p.id).join(','),
    });
    root.end();
    return {
      traceId: root.context.traceId,
      useCase: useCaseName,
      outcome,
      message,
      text: result.text,
      steps: result.steps.length,
      toolCalls,
      proposals,
      usage: { inputTokens, outputTokens, costUsd: cost() },
    };
  } catch (error) {
    root.fail(error);
    if (error instanceof GroundworkError) throw error;
    throw new GroundworkError('actions.agent_failed', `The agent's model call failed: ${(error as Error).message}`, {
      category: 'unavailable',
      isRetryable: true,
      fix: 'Check the model provider (groundwork models test), then run the agent again.',
    });
  }
}
