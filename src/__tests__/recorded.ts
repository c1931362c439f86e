/**
 * The server's own answers, recorded from the real handlers against the KFP sandbox by
 * tests/handlers/test_recorded_answers.py (which fails when they change), for the fake servers
 * of these tests: a fake answers what the server really says, not a hand-written shape.
 */
import { ApiError } from '../api';
import { IProblem } from '../tokens';
import answers from './recorded/answers.json';

export type RecordedName = keyof typeof answers;
type ErrorName = Extract<RecordedName, `error_${string}`>;
export type RecordedCode = ErrorName extends `error_${infer C}` ? C : never;

/** A fresh copy of a recorded answer (tests may change it freely). */
export function recorded(name: RecordedName): any {
  return JSON.parse(JSON.stringify(answers[name]));
}

/** The server's diagnosis for `code`, with `details` merged over the recorded ones. */
export function recordedProblem(
  code: RecordedCode,
  details: Record<string, unknown> = {}
): IProblem {
  const problem = recorded(`error_${code}` as RecordedName).error as IProblem;
  return { ...problem, details: { ...problem.details, ...details } };
}

/** The ApiError a fake server throws for `code`. */
export function recordedError(
  code: RecordedCode,
  details: Record<string, unknown> = {}
): ApiError {
  return new ApiError(recordedProblem(code, details));
}
