/** What a recording frame shows: the board or slides canvas, and the teacher's camera in a corner. */
export interface RecordingSources {
  board(): HTMLCanvasElement | null;
  camera(): HTMLVideoElement | null;
}

const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 25;

/**
 * Records the lesson in this browser with MediaRecorder: the visible board (or slide) with the teacher's camera
 * drawn into one canvas, plus the teacher's microphone, as WebM. Nothing leaves the device; `stop` gives the file.
 */
export class LessonRecorder {
  private readonly canvas = document.createElement('canvas');
  private readonly recorder: MediaRecorder;
  private readonly chunks: Blob[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  readonly startedAt = Date.now();

  constructor(private readonly sources: RecordingSources, audio: readonly MediaStreamTrack[]) {
    this.canvas.width = WIDTH;
    this.canvas.height = HEIGHT;
    this.paint();
    // A timer, not requestAnimationFrame: the recording goes on while the tab is in the background.
    this.timer = setInterval(() => this.paint(), 1000 / FPS);
    const stream = new MediaStream([...this.canvas.captureStream(FPS).getVideoTracks(), ...audio.map((t) => t.clone())]);
    const mimeType = ['video/webm;codecs=vp8,opus', 'video/webm'].find((m) => MediaRecorder.isTypeSupported(m));
    this.recorder = new MediaRecorder(stream, mimeType !== undefined ? { mimeType } : {});
    this.recorder.ondataavailable = (e) => {
      if (e.data.size > 0) this.chunks.push(e.data);
    };
    this.recorder.start(1000);
  }

  /** Stops and returns the WebM file. */
  async stop(): Promise<Blob> {
    clearInterval(this.timer);
    const done = new Promise<void>((resolve) => {
      this.recorder.onstop = () => resolve();
    });
    if (this.recorder.state !== 'inactive') this.recorder.stop();
    await done;
    for (const t of this.recorder.stream.getTracks()) t.stop();
    return new Blob(this.chunks, { type: this.recorder.mimeType || 'video/webm' });
  }

  private paint(): void {
    const ctx = this.canvas.getContext('2d');
    if (ctx === null) return;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, WIDTH, HEIGHT);
    const board = this.sources.board();
    if (board !== null && board.width > 0 && board.height > 0) {
      const scale = Math.min(WIDTH / board.width, HEIGHT / board.height);
      const w = board.width * scale;
      const h = board.height * scale;
      ctx.drawImage(board, (WIDTH - w) / 2, (HEIGHT - h) / 2, w, h);
    }
    const cam = this.sources.camera();
    if (cam !== null && cam.videoWidth > 0) {
      const w = 320;
      const h = (cam.videoHeight / cam.videoWidth) * w;
      ctx.drawImage(cam, WIDTH - w - 16, HEIGHT - h - 16, w, h);
    }
  }
}
