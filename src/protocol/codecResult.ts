/** The outcome of a validating decode that never throws: the value, or a typed code plus a human-readable reason. */
export type CodecResult<T, Code extends string> =
  | { ok: true; value: T }
  | { ok: false; code: Code; reason: string };

/** Builds a failed {@link CodecResult}. */
export function rejectWith<Code extends string>(code: Code, reason: string): { ok: false; code: Code; reason: string } {
  return { ok: false, code, reason };
}
