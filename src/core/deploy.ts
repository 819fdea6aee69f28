import {
  type AllParameters,
  defaultParameters,
  type ParameterChanges,
  type ParameterName,
  type ParameterValue,
  refuseForeignParameters,
  resolveParameters,
  type TargetKind,
} from './parameters.js';

/**
 * The deploy planner both targets use: what a deploy sets, what it changes, and when it must ask.
 * A target adds only what is its own (CloudFormation's change set, SQLite's file).
 */

export interface ParameterChange {
  parameter: ParameterName;
  from: ParameterValue | null;
  to: ParameterValue;
}

export interface ParameterPlan {
  /** Every parameter of the stack after the deploy. */
  parameters: Partial<AllParameters>;
  /** Those that change (all of them on a first deploy, from null). */
  changes: ParameterChange[];
}

/**
 * The parameters a deploy asks for: the deployed values (or the target's defaults for a new stack)
 * with the flags given over them, checked as a whole. A parameter the target does not have is
 * refused, and so is a combination a target rule (`validate`) refuses, before anything is touched.
 */
export function planParameters(
  target: TargetKind,
  previous: Partial<AllParameters> | undefined,
  requested: ParameterChanges,
  validate?: (parameters: Partial<AllParameters>) => void,
): ParameterPlan {
  refuseForeignParameters(target, requested);
  const parameters = resolveParameters(previous ?? defaultParameters(target), requested);
  validate?.(parameters);
  return { parameters, changes: diffParameters(previous, parameters) };
}

export function diffParameters(
  previous: Partial<AllParameters> | undefined,
  next: Partial<AllParameters>,
): ParameterChange[] {
  return (Object.keys(next) as ParameterName[])
    .filter((key) => previous?.[key] !== next[key])
    .map((key) => ({ parameter: key, from: previous?.[key] ?? null, to: next[key] as ParameterValue }));
}

/**
 * What a change does to the events already stored, which a redeploy does not rewrite: each keeps the
 * expiry it was stored with. A longer TTL applies to new events only, and a window raised past the old
 * TTL finds its oldest part already expired until it has passed once.
 */
export function storedEventNotes(changes: readonly ParameterChange[]): string[] {
  const change = (name: ParameterName) => changes.find((c) => c.parameter === name && c.from !== null);
  const ttl = change('EventTtlMinutes');
  const window = change('WindowMinutes');
  const notes: string[] = [];
  if (ttl) {
    notes.push(
      `Events already stored keep the expiry of the TTL they were stored with (${ttl.from} min); the new TTL (${ttl.to} min) applies to events stored from now on.`,
    );
  }
  const oldTtl = ttl?.from ?? null;
  if (window && oldTtl !== null && Number(window.to) > Number(oldTtl)) {
    notes.push(
      `Events stored before this deploy expire ${oldTtl} minutes after their time: for the next ${window.to} minutes, a snapshot counts less than a full ${window.to}-minute window.`,
    );
  }
  return notes;
}

/** How a command answers a question: --yes, or a person at a terminal, or nobody (refuse). */
export interface ConfirmPolicy {
  /** Answers yes to every question (--yes). */
  yes?: boolean;
  /** Asks the user; absent when there is no one to ask, and then a question is a refusal. */
  confirm?(question: string): Promise<boolean>;
}

/**
 * Yes with --yes; the person's answer when there is one to ask; otherwise `refusal` is thrown, so a
 * script never hangs on a question nor gets a destructive default.
 */
export async function confirmOrRefuse(
  policy: ConfirmPolicy,
  question: string,
  refusal: Error,
): Promise<boolean> {
  if (policy.yes) return true;
  if (!policy.confirm) throw refusal;
  return policy.confirm(question);
}
