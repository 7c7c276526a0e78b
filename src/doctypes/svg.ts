import { getStroke } from 'perfect-freehand';
import type { BoardElement, InkElement } from './boardModel.js';

/** Options for {@link elementsToSvg}. */
export interface SvgOptions {
  /** Viewport width; defaults to the content's extent. */
  width?: number;
  /** Viewport height; defaults to the content's extent. */
  height?: number;
  /** Background fill (e.g. '#ffffff'); none by default. */
  background?: string;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** Turn perfect-freehand's outline polygon into a smooth closed SVG path (quadratic curves through midpoints). */
export function outlineToPath(outline: ReadonlyArray<readonly number[]>): string {
  if (outline.length < 2) return '';
  const first = outline[0] as readonly number[];
  const parts: string[] = [`M${fmt(first[0] ?? 0)},${fmt(first[1] ?? 0)}`, 'Q'];
  for (let i = 0; i < outline.length; i++) {
    const a = outline[i] as readonly number[];
    const b = outline[(i + 1) % outline.length] as readonly number[];
    parts.push(`${fmt(a[0] ?? 0)},${fmt(a[1] ?? 0)} ${fmt(((a[0] ?? 0) + (b[0] ?? 0)) / 2)},${fmt(((a[1] ?? 0) + (b[1] ?? 0)) / 2)}`);
  }
  parts.push('Z');
  return parts.join(' ');
}

/** Smoothed outline path of an ink stroke (perfect-freehand), for SVG and canvas (Path2D) alike. */
export function inkPath(el: InkElement): string {
  const hasPressure = el.points.some((p) => p.pressure !== 0.5);
  const outline = getStroke(el.points.map((p) => [p.x, p.y, p.pressure]), {
    size: Math.max(1, el.width),
    thinning: hasPressure ? 0.5 : 0.3,
    smoothing: 0.5,
    streamline: 0.5,
    simulatePressure: !hasPressure,
  });
  return outlineToPath(outline);
}

/** SVG markup of one element. Colours were validated on read, text is escaped. */
export function elementToSvg(el: BoardElement): string {
  const stroke = `stroke="${escapeXml(el.color)}" stroke-width="${fmt(el.width)}"`;
  switch (el.kind) {
    case 'ink':
      return `<path data-id="${el.id}" d="${inkPath(el)}" fill="${escapeXml(el.color)}"/>`;
    case 'rect':
      return `<rect data-id="${el.id}" x="${fmt(el.x)}" y="${fmt(el.y)}" width="${fmt(el.w)}" height="${fmt(el.h)}" ${stroke} fill="${el.fill === null ? 'none' : escapeXml(el.fill)}"/>`;
    case 'ellipse':
      return `<ellipse data-id="${el.id}" cx="${fmt(el.x + el.w / 2)}" cy="${fmt(el.y + el.h / 2)}" rx="${fmt(Math.abs(el.w / 2))}" ry="${fmt(Math.abs(el.h / 2))}" ${stroke} fill="${el.fill === null ? 'none' : escapeXml(el.fill)}"/>`;
    case 'line':
      return `<line data-id="${el.id}" x1="${fmt(el.x)}" y1="${fmt(el.y)}" x2="${fmt(el.x + el.w)}" y2="${fmt(el.y + el.h)}" ${stroke} stroke-linecap="round"/>`;
    case 'arrow': {
      const x2 = el.x + el.w;
      const y2 = el.y + el.h;
      const angle = Math.atan2(el.h, el.w);
      const head = Math.max(8, el.width * 4);
      const a1 = angle + Math.PI - Math.PI / 7;
      const a2 = angle + Math.PI + Math.PI / 7;
      const headPath = `M${fmt(x2 + head * Math.cos(a1))},${fmt(y2 + head * Math.sin(a1))} L${fmt(x2)},${fmt(y2)} L${fmt(x2 + head * Math.cos(a2))},${fmt(y2 + head * Math.sin(a2))}`;
      return `<g data-id="${el.id}" ${stroke} fill="none" stroke-linecap="round" stroke-linejoin="round"><line x1="${fmt(el.x)}" y1="${fmt(el.y)}" x2="${fmt(x2)}" y2="${fmt(y2)}"/><path d="${headPath}"/></g>`;
    }
    case 'text': {
      const lines = el.text.split('\n');
      const tspans = lines.map((line, i) => `<tspan x="${fmt(el.x)}" dy="${i === 0 ? 0 : fmt(el.fontSize * 1.2)}">${escapeXml(line)}</tspan>`).join('');
      return `<text data-id="${el.id}" x="${fmt(el.x)}" y="${fmt(el.y + el.fontSize)}" font-size="${fmt(el.fontSize)}" fill="${escapeXml(el.color)}" font-family="sans-serif">${tspans}</text>`;
    }
  }
}

/** A standalone SVG document of the given elements (already in drawing order). */
export function elementsToSvg(elements: readonly BoardElement[], options: SvgOptions = {}): string {
  let maxX = 0;
  let maxY = 0;
  for (const el of elements) {
    maxX = Math.max(maxX, el.x, el.x + el.w + el.width);
    maxY = Math.max(maxY, el.y, el.y + el.h + el.width);
  }
  const w = options.width ?? Math.ceil(maxX + 10);
  const h = options.height ?? Math.ceil(maxY + 10);
  const bg = options.background === undefined ? '' : `<rect width="100%" height="100%" fill="${escapeXml(options.background)}"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${bg}${elements.map(elementToSvg).join('')}</svg>`;
}

/**
 * Browser only: rasterise SVG markup (e.g. from `exportSvg`) to a PNG blob at `scale` (2 for
 * high-DPI). Uses an <img> and a canvas; no network, the SVG is loaded from a data URL.
 */
export async function svgToPng(svg: string, scale = 1): Promise<Blob> {
  const img = new Image();
  const loaded = new Promise<void>((resolve, reject) => {
    img.onload = () => resolve();
    img.onerror = () => reject(new Error('the SVG could not be rendered'));
  });
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  await loaded;
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.ceil(img.naturalWidth * scale));
  canvas.height = Math.max(1, Math.ceil(img.naturalHeight * scale));
  const g = canvas.getContext('2d');
  if (g === null) throw new Error('no 2D canvas context');
  g.scale(scale, scale);
  g.drawImage(img, 0, 0);
  return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b === null ? reject(new Error('PNG encoding failed')) : resolve(b)), 'image/png'));
}
