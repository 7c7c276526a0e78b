import type * as Y from 'yjs';

/** The four doc types' top-level types, compared as canonical JSON (sorted keys, bytes as arrays). */
export interface TypesJson { whiteboard: string; chat: string; presentation: string; poll: string }

function canonical(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: [...value] };
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** Canonical JSON of the whiteboard, chat, presentation and poll of `doc` (map key order differs between peers). */
export function typesJson(doc: Y.Doc): TypesJson {
  return {
    whiteboard: JSON.stringify(canonical(doc.getMap('whiteboard').toJSON())),
    chat: JSON.stringify(canonical(doc.getArray('chat').toJSON())),
    presentation: JSON.stringify(canonical(doc.getMap('presentation').toJSON())),
    poll: JSON.stringify(canonical(doc.getMap('poll').toJSON())),
  };
}
