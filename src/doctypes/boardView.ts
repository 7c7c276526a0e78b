/** A read-only board: what replay and `Whiteboard.at` hand out for a past state. */
import type * as Y from 'yjs';
import { DEFAULT_PAGE_ID, elementsOnPage, readAllElements, readPages } from './boardModel.js';
import type { BoardElement, PageInfo } from './boardModel.js';
import { elementsAt } from './hitTest.js';
import { elementsToSvg } from './svg.js';
import type { SvgOptions } from './svg.js';

/** A read-only board state, e.g. the board at a past snapshot. */
export class BoardView {
  private readonly byId: Map<string, BoardElement>;
  private readonly pageList: PageInfo[];

  /** Read a board map once (later changes to it are not reflected, so the source doc may be destroyed). */
  constructor(map: Y.Map<unknown>) {
    this.byId = readAllElements(map);
    this.pageList = readPages(map);
  }

  /** Elements of a page (or all), in drawing order. */
  elements(pageId?: string): BoardElement[] {
    return elementsOnPage(this.byId.values(), pageId);
  }

  /** One element, if it was present and valid. */
  element(id: string): BoardElement | undefined {
    return this.byId.get(id);
  }

  /** Page list. */
  pages(): PageInfo[] {
    return this.pageList.slice();
  }

  /** Elements under a point, topmost first (see {@link elementsAt}). */
  hitTest(pageId: string, x: number, y: number, tolerance?: number): BoardElement[] {
    return elementsAt(this.elements(pageId), x, y, tolerance);
  }

  /** SVG of one page. */
  exportSvg(pageId: string = DEFAULT_PAGE_ID, options?: SvgOptions): string {
    return elementsToSvg(this.elements(pageId), options);
  }
}
