/** The camera and microphone this browser chose last (deviceIds in localStorage), and the lists to choose from. */
export type DeviceKind = 'camera' | 'microphone';

const KEY: Record<DeviceKind, string> = { camera: 'peerclass:device:camera', microphone: 'peerclass:device:microphone' };

/** The remembered device id, or undefined for the browser's default. */
export function rememberedDevice(kind: DeviceKind): string | undefined {
  try {
    return localStorage.getItem(KEY[kind]) ?? undefined;
  } catch {
    return undefined;
  }
}

export function rememberDevice(kind: DeviceKind, deviceId: string | undefined): void {
  try {
    if (deviceId === undefined || deviceId === '') localStorage.removeItem(KEY[kind]);
    else localStorage.setItem(KEY[kind], deviceId);
  } catch {
    // Storage disabled: the choice holds for this tab only.
  }
}

export interface DeviceChoice {
  deviceId: string;
  label: string;
}

/** Cameras and microphones (labels appear once the page may use the devices, e.g. after a preview started). */
export async function listDevices(): Promise<Record<DeviceKind, DeviceChoice[]>> {
  const all = await navigator.mediaDevices.enumerateDevices();
  const pick = (kind: MediaDeviceKind, name: string): DeviceChoice[] => all
    .filter((d) => d.kind === kind && d.deviceId !== '')
    .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${name} ${i + 1}` }));
  return { camera: pick('videoinput', 'Camera'), microphone: pick('audioinput', 'Microphone') };
}

/** Calls `onLevel` about 20 times a second with the microphone level of `stream` (0..1, RMS); returns a stop function. */
export function meterLevel(stream: MediaStream, onLevel: (level: number) => void): () => void {
  if (stream.getAudioTracks().length === 0) return () => undefined;
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  ctx.createMediaStreamSource(stream).connect(analyser);
  const data = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(data);
    let sum = 0;
    for (const v of data) sum += v * v;
    onLevel(Math.min(1, Math.sqrt(sum / data.length) * 3));
  }, 50);
  return () => {
    clearInterval(timer);
    void ctx.close();
  };
}
