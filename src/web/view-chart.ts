/** D3 chart for the Views page: a view's top keys as horizontal bars, the batch part and the speed part stacked. */
import {
  axisTop,
  type ScaleBand,
  type ScaleLinear,
  type Selection,
  scaleBand,
  scaleLinear,
  select,
  transition,
} from 'd3';

/** One key's value and its two parts. */
export interface KeyBar {
  key: string;
  batch: number;
  speed: number;
}

/** The chart's drawing width follows its box (so text stays at its real size), within these bounds. */
const MIN_WIDTH = 300;
const MAX_WIDTH = 680;
const ROW = 22;
const M = { top: 26, right: 64, bottom: 6, left: 100 } as const;
const DURATION_MS = 300;

type Group = Selection<SVGGElement, unknown, null, undefined>;

/** Top keys, largest first: a `batch` bar and a `speed` bar after it, the total at the end. */
export class StackedBars {
  #svg: Selection<SVGSVGElement, unknown, null, undefined>;
  #axis: Group;
  #rows: Group;
  #x: ScaleLinear<number, number>;
  #y: ScaleBand<string>;
  #onPick: (key: string) => void;
  #container: HTMLElement;

  /** Draws into `container`; clicking a key calls `onPick` with it. */
  constructor(container: HTMLElement, label: string, onPick: (key: string) => void) {
    this.#svg = select(container)
      .append('svg')
      .attr('role', 'img')
      .attr('aria-label', label)
      .attr('class', 'chart bars')
      .attr('viewBox', `0 0 ${MAX_WIDTH} ${M.top + M.bottom}`);
    this.#axis = this.#svg
      .append('g')
      .attr('class', 'axis x')
      .attr('transform', `translate(0,${M.top - 4})`);
    this.#rows = this.#svg.append('g').attr('class', 'rows');
    this.#x = scaleLinear();
    this.#container = container;
    this.#y = scaleBand<string>().paddingInner(0.2);
    this.#onPick = onPick;
  }

  /** Redraws with these bars (moving bars animate to their new length and place); the chart must be in the page. */
  update(bars: readonly KeyBar[]): void {
    if (!this.#svg.node()?.isConnected) return;
    // One shared transition per update (importing it also installs selection.transition()).
    const t = transition().duration(DURATION_MS);
    const height = M.top + M.bottom + Math.max(1, bars.length) * ROW;
    const width = Math.round(Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, this.#container.clientWidth || MAX_WIDTH)));
    this.#svg.attr('viewBox', `0 0 ${width} ${height}`);
    this.#x.range([M.left, width - M.right]);
    const max = Math.max(1, ...bars.map((b) => b.batch + b.speed));
    this.#x.domain([0, max]).nice();
    this.#y.domain(bars.map((b) => b.key)).range([M.top, height - M.bottom]);
    this.#axis.transition(t).call(axisTop(this.#x).ticks(5, 's') as never);
    const x = this.#x;
    const y = this.#y;
    const rows = this.#rows
      .selectAll<SVGGElement, KeyBar>('g.bar')
      .data(bars, (d) => d.key)
      .join((enter) => {
        const g = enter
          .append('g')
          .attr('class', 'bar')
          .attr('transform', (d) => `translate(0,${y(d.key) ?? 0})`);
        g.append('title');
        g.append('text')
          .attr('class', 'key')
          .attr('x', M.left - 6)
          .attr('text-anchor', 'end')
          .attr('tabindex', 0)
          .attr('role', 'button')
          .on('click', (_, d) => this.#onPick(d.key))
          .on('keydown', (event: KeyboardEvent, d) => {
            if (event.key === 'Enter' || event.key === ' ') this.#onPick(d.key);
          });
        g.append('rect').attr('class', 'batch').attr('x', M.left).attr('width', 0);
        g.append('rect').attr('class', 'speed').attr('x', M.left).attr('width', 0);
        g.append('text').attr('class', 'total');
        return g;
      });
    rows.attr('data-key', (d) => d.key);
    rows.transition(t).attr('transform', (d) => `translate(0,${y(d.key) ?? 0})`);
    const band = y.bandwidth();
    rows
      .select('title')
      .text((d) => `${d.key}: ${fmt(d.batch + d.speed)} (batch ${fmt(d.batch)} + speed ${fmt(d.speed)})`);
    rows
      .select<SVGTextElement>('text.key')
      .attr('y', band / 2)
      .attr('dy', '0.35em')
      .text((d) => clip(d.key));
    rows
      .select<SVGRectElement>('rect.batch')
      .attr('height', band)
      .attr('data-value', (d) => d.batch)
      .transition(t)
      .attr('width', (d) => x(d.batch) - M.left);
    rows
      .select<SVGRectElement>('rect.speed')
      .attr('height', band)
      .attr('data-value', (d) => d.speed)
      .transition(t)
      .attr('x', (d) => x(d.batch))
      .attr('width', (d) => x(d.batch + d.speed) - x(d.batch));
    rows
      .select<SVGTextElement>('text.total')
      .attr('y', band / 2)
      .attr('dy', '0.35em')
      .text((d) => fmt(d.batch + d.speed))
      .transition(t)
      .attr('x', (d) => x(d.batch + d.speed) + 4);
  }
}

function fmt(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

function clip(key: string): string {
  return key.length > 16 ? `${key.slice(0, 15)}…` : key;
}
