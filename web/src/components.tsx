import type { ReactNode } from 'react';
import { ApiError } from './api.ts';

/**
 * Text with `backtick` spans (commands, flags, paths in messages and fixes) rendered as <code>, the rest as
 * text: never as HTML, so nothing in a message can inject markup.
 */
export function withCode(text: string): ReactNode[] {
  const nodes: ReactNode[] = [];
  let offset = 0;
  for (const [i, part] of text.split(/`([^`\n]+)`/).entries()) {
    nodes.push(i % 2 === 1 ? <code key={offset}>{part}</code> : part);
    offset += part.length + 1;
  }
  return nodes;
}

/** The API's message and fix, as the user should read them. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const apiError = error instanceof ApiError ? error : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="error" role="alert">
      <strong>{withCode(message)}</strong>
      {apiError?.fix ? <p>{withCode(apiError.fix)}</p> : null}
      {apiError ? <p className="muted small">code: {apiError.code}</p> : null}
    </div>
  );
}

/** An empty state; a plain-text message shows its `commands` as code. */
export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{typeof children === 'string' ? withCode(children) : children}</div>;
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

export function formatUsd(value: number): string {
  return value === 0 ? '$0' : value < 0.01 ? `$${value.toFixed(5)}` : `$${value.toFixed(2)}`;
}

/** Confidence in words and number, e.g. "High confidence (0.82)". */
export function confidenceLabel(confidence: number): { text: string; level: 'high' | 'medium' | 'low' } {
  const level = confidence >= 0.7 ? 'high' : confidence >= 0.4 ? 'medium' : 'low';
  const word = level === 'high' ? 'High' : level === 'medium' ? 'Medium' : 'Low';
  return { text: `${word} confidence (${confidence.toFixed(2)})`, level };
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/** The server marks matched words in snippets as «word»; show them as highlights. */
export function markedSnippet(snippet: string): ReactNode[] {
  const nodes: ReactNode[] = [];
  let offset = 0;
  for (const [i, part] of snippet.split(/«([^»]*)»/).entries()) {
    nodes.push(i % 2 === 1 ? <mark key={offset}>{part}</mark> : part);
    offset += part.length + 1;
  }
  return nodes;
}
