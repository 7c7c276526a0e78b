/** Why a media call failed; stable across browsers, unlike `DOMException` names. */
export type MediaErrorCode =
  /** The user or the browser's policy refused the camera, microphone or screen. */
  | 'permission-denied'
  /** No device of that kind, or none with the requested id. */
  | 'no-device'
  /** The device exists but could not be opened (another program holds it, or a hardware fault). */
  | 'device-in-use'
  /** The device cannot satisfy the requested constraints. */
  | 'overconstrained'
  /** The capture succeeded but brought no track of the requested kind. */
  | 'no-track'
  /** This environment has no `mediaDevices` (e.g. Node without `options.mediaDevices`). */
  | 'unsupported'
  /** The capture was cancelled (e.g. the screen picker was closed) or interrupted. */
  | 'aborted'
  /** A caller passed a value the API does not accept. */
  | 'invalid-argument'
  /** Anything the browser reported that none of the codes above describes; see `cause`. */
  | 'capture-failed';

/**
 * A failure of a media call, with a {@link MediaErrorCode} an app can branch on (e.g. show "allow the camera"
 * for `permission-denied`). The browser's original error, if any, is the `cause`.
 */
export class MediaError extends Error {
  override readonly name = 'MediaError';

  constructor(
    /** What went wrong. */
    readonly code: MediaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** DOMException names of getUserMedia/getDisplayMedia per the Media Capture spec, plus Firefox/Safari variants. */
const CODES: Readonly<Record<string, MediaErrorCode>> = {
  NotAllowedError: 'permission-denied',
  SecurityError: 'permission-denied',
  PermissionDeniedError: 'permission-denied',
  NotFoundError: 'no-device',
  DevicesNotFoundError: 'no-device',
  NotReadableError: 'device-in-use',
  TrackStartError: 'device-in-use',
  OverconstrainedError: 'overconstrained',
  ConstraintNotSatisfiedError: 'overconstrained',
  AbortError: 'aborted',
  TypeError: 'invalid-argument',
};

/** Wraps whatever a capture call threw into a {@link MediaError}; one already typed passes through. */
export function toMediaError(error: unknown, operation: string): MediaError {
  if (error instanceof MediaError) return error;
  const name = typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string' ? error.name : '';
  const detail = error instanceof Error ? error.message : String(error);
  // An exact deviceId that matches nothing is reported as a constraint failure; for the app it is a missing device.
  const constraint = typeof error === 'object' && error !== null && 'constraint' in error ? error.constraint : undefined;
  const code = name === 'OverconstrainedError' && constraint === 'deviceId' ? 'no-device' : CODES[name] ?? 'capture-failed';
  return new MediaError(code, `${operation}: ${detail}`, { cause: error });
}
