/**
 * Small validation helpers for content that arrives from peers. Each checker returns the value
 * when it fits, or a {@link Invalid} describing why not. Nothing here throws.
 */

/** A failed check. */
export interface Invalid {
  readonly invalid: true;
  /** Why the value was refused. */
  readonly reason: string;
}

/** Result of a check: the typed value, or {@link Invalid}. */
export type Checked<T> = T | Invalid;

/** A checker from unknown to T. */
export type Check<T> = (value: unknown) => Checked<T>;

/** Build an {@link Invalid}. */
export function invalid(reason: string): Invalid {
  return { invalid: true, reason };
}

/** True when a check failed. */
export function isInvalid(value: unknown): value is Invalid {
  return typeof value === 'object' && value !== null && (value as { invalid?: unknown }).invalid === true
    && typeof (value as { reason?: unknown }).reason === 'string';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'string') return `string(${value.length})`;
  return typeof value;
}

/** A string of at most `maxLength` UTF-16 units (and at least `minLength`, default 0). */
export function str(maxLength: number, minLength = 0): Check<string> {
  return (v) => {
    if (typeof v !== 'string') return invalid(`expected string, got ${describe(v)}`);
    if (v.length > maxLength) return invalid(`string longer than ${maxLength} (${v.length})`);
    if (v.length < minLength) return invalid(`string shorter than ${minLength}`);
    return v;
  };
}

/** A finite number within [min, max]. */
export function num(min = -Number.MAX_VALUE, max = Number.MAX_VALUE): Check<number> {
  return (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return invalid(`expected finite number, got ${describe(v)}`);
    if (v < min || v > max) return invalid(`number ${v} outside [${min}, ${max}]`);
    return v;
  };
}

/** An integer within [min, max]. */
export function int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Check<number> {
  const n = num(min, max);
  return (v) => {
    const r = n(v);
    if (isInvalid(r)) return r;
    return Number.isInteger(r) ? r : invalid(`expected integer, got ${r}`);
  };
}

/** A boolean. */
export const bool: Check<boolean> = (v) => (typeof v === 'boolean' ? v : invalid(`expected boolean, got ${describe(v)}`));

/** One of the given string literals. */
export function oneOf<const T extends readonly string[]>(values: T): Check<T[number]> {
  return (v) => (typeof v === 'string' && (values as readonly string[]).includes(v)
    ? (v as T[number])
    : invalid(`expected one of ${values.join('|')}, got ${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : describe(v)}`));
}

/** A Uint8Array of at most `maxBytes`. */
export function bytes(maxBytes: number): Check<Uint8Array> {
  return (v) => {
    if (!(v instanceof Uint8Array)) return invalid(`expected bytes, got ${describe(v)}`);
    if (v.length > maxBytes) return invalid(`bytes longer than ${maxBytes} (${v.length})`);
    return v;
  };
}

/** A CSS-ish colour: #rgb, #rrggbb, #rrggbbaa or a short keyword. Keeps markup injection out of SVG export. */
export const color: Check<string> = (v) => {
  if (typeof v !== 'string') return invalid(`expected colour string, got ${describe(v)}`);
  return /^(#[0-9a-f]{3,8}|[a-z]{1,20})$/i.test(v) ? v : invalid(`not a colour: ${JSON.stringify(v.slice(0, 40))}`);
};

/** Accept undefined as `fallback`, otherwise run `check`. */
export function optional<T>(check: Check<T>, fallback: T): Check<T> {
  return (v) => (v === undefined ? fallback : check(v));
}

/** Accept null, otherwise run `check`. */
export function nullable<T>(check: Check<T>): Check<T | null> {
  return (v) => (v === null ? null : check(v));
}

/** An array of at most `maxLength` items, each passing `item`. */
export function arrayOf<T>(item: Check<T>, maxLength: number): Check<T[]> {
  return (v) => {
    if (!Array.isArray(v)) return invalid(`expected array, got ${describe(v)}`);
    if (v.length > maxLength) return invalid(`array longer than ${maxLength}`);
    const out: T[] = [];
    for (let i = 0; i < v.length; i++) {
      const r = item(v[i]);
      if (isInvalid(r)) return invalid(`[${i}]: ${r.reason}`);
      out.push(r);
    }
    return out;
  };
}

/** Shape of a checker record: each field's checker. */
export type Shape = Record<string, Check<unknown>>;

/** The object type a {@link Shape} validates to. */
export type ShapeOf<S extends Shape> = { [K in keyof S]: S[K] extends Check<infer T> ? T : never };

/**
 * Check a record-like value field by field. `get` reads a field, so the same schema works on plain objects
 * and on Y.Map (pass `(k) => map.get(k)`). Extra fields are ignored, so newer peers may add fields.
 */
export function fields<S extends Shape>(shape: S, get: (key: string) => unknown): Checked<ShapeOf<S>> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) {
    const check = shape[key];
    if (check === undefined) continue;
    const r = check(get(key));
    if (isInvalid(r)) return invalid(`${key}: ${r.reason}`);
    out[key] = r;
  }
  return out as ShapeOf<S>;
}

/** Check a plain object against a {@link Shape}. */
export function object<S extends Shape>(shape: S): Check<ShapeOf<S>> {
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) {
      return invalid(`expected object, got ${describe(v)}`);
    }
    const rec = v as Record<string, unknown>;
    return fields(shape, (k) => (Object.prototype.hasOwnProperty.call(rec, k) ? rec[k] : undefined));
  };
}
