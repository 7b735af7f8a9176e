/** D3 charts for the job page: a growing words-vs-lines scatter plot and a throughput line. */
import { axisBottom, axisLeft, line, type ScaleLinear, type Selection, scaleLinear, select } from 'd3';

const WIDTH = 560;
const HEIGHT = 300;
const M = { top: 12, right: 16, bottom: 40, left: 64 } as const;
const SVG_NS = 'http://www.w3.org/2000/svg';

/** One object's point in the scatter plot. */
export interface ScatterPoint {
  key: string;
  words: number;
  lines: number;
}

function frame(container: HTMLElement, label: string, xLabel: string, yLabel: string) {
  const svg = select(container)
    .append('svg')
    .attr('viewBox', `0 0 ${WIDTH} ${HEIGHT}`)
    .attr('role', 'img')
    .attr('aria-label', label)
    .attr('class', 'chart');
  const xAxis = svg
    .append('g')
    .attr('class', 'axis x')
    .attr('transform', `translate(0,${HEIGHT - M.bottom})`);
  const yAxis = svg.append('g').attr('class', 'axis y').attr('transform', `translate(${M.left},0)`);
  svg
    .append('text')
    .attr('class', 'axis-label')
    .attr('x', (WIDTH + M.left) / 2)
    .attr('y', HEIGHT - 6)
    .attr('text-anchor', 'middle')
    .text(xLabel);
  svg
    .append('text')
    .attr('class', 'axis-label')
    .attr('transform', `translate(14,${(HEIGHT - M.bottom) / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .text(yLabel);
  const x = scaleLinear()
    .domain([0, 1])
    .range([M.left, WIDTH - M.right]);
  const y = scaleLinear()
    .domain([0, 1])
    .range([HEIGHT - M.bottom, M.top]);
  return { svg, xAxis, yAxis, x, y };
}

/** Next "round" bound at least `n` (domains double, so points are re-laid out O(log n) times). */
function bound(n: number, current: number): number {
  let b = Math.max(current, 1);
  while (b < n) b *= 2;
  return b;
}

/** Words (x) vs lines (y) per object; points are appended in batches, with a hover tooltip. */
export class ScatterPlot {
  #svg: Selection<SVGSVGElement, unknown, null, undefined>;
  #layer: SVGGElement;
  #xAxis: Selection<SVGGElement, unknown, null, undefined>;
  #yAxis: Selection<SVGGElement, unknown, null, undefined>;
  #x: ScaleLinear<number, number>;
  #y: ScaleLinear<number, number>;
  #points: ScatterPoint[] = [];
  /** Index of each object's point: a later figure for the same object (the committed one) moves it. */
  #index = new Map<string, number>();
  #tip: HTMLElement;

  constructor(container: HTMLElement) {
    const f = frame(container, 'Scatter plot of words against lines per object', 'words', 'lines');
    this.#svg = f.svg;
    this.#xAxis = f.xAxis;
    this.#yAxis = f.yAxis;
    this.#x = f.x;
    this.#y = f.y;
    this.#layer = f.svg.append('g').attr('class', 'points').node() as SVGGElement;
    this.#tip = document.createElement('div');
    this.#tip.className = 'tooltip';
    this.#tip.hidden = true;
    container.style.position = 'relative';
    container.append(this.#tip);
    this.#layer.addEventListener('mouseover', (e) => this.#hover(e));
    this.#layer.addEventListener('mouseout', () => {
      this.#tip.hidden = true;
    });
    this.#drawAxes();
  }

  /** How many points are drawn. */
  get size(): number {
    return this.#points.length;
  }

  /**
   * Adds a batch of points, one per object: an object already drawn is moved to its new figures
   * (rescaling the axes only when a point falls outside them).
   */
  add(batch: ScatterPoint[]): void {
    if (!batch.length) return;
    const [, xMax] = this.#x.domain() as [number, number];
    const [, yMax] = this.#y.domain() as [number, number];
    const nx = bound(Math.max(...batch.map((p) => p.words)), xMax);
    const ny = bound(Math.max(...batch.map((p) => p.lines)), yMax);
    const first = this.#points.length;
    let circles: NodeListOf<SVGCircleElement> | undefined; // looked up only when a drawn point moves
    for (const point of batch) {
      const at = this.#index.get(point.key);
      if (at === undefined) {
        this.#index.set(point.key, this.#points.length);
        this.#points.push(point);
        continue;
      }
      this.#points[at] = point;
      circles ??= this.#layer.querySelectorAll('circle');
      const circle = circles[at];
      if (circle) this.#place(circle, point);
    }
    if (nx !== xMax || ny !== yMax) {
      this.#x.domain([0, nx]);
      this.#y.domain([0, ny]);
      this.#drawAxes();
      this.#layer.querySelectorAll('circle').forEach((c, i) => {
        this.#place(c, this.#points[i] as ScatterPoint);
      });
    }
    const fragment = document.createDocumentFragment();
    for (let i = first; i < this.#points.length; i++) {
      const c = document.createElementNS(SVG_NS, 'circle');
      c.setAttribute('class', 'point');
      c.setAttribute('r', '4');
      c.dataset.i = String(i);
      this.#place(c, this.#points[i] as ScatterPoint);
      fragment.append(c);
    }
    this.#layer.append(fragment);
  }

  #place(c: SVGCircleElement, p: ScatterPoint): void {
    c.setAttribute('cx', this.#x(p.words).toFixed(1));
    c.setAttribute('cy', this.#y(p.lines).toFixed(1));
  }

  #drawAxes(): void {
    this.#xAxis.call(axisBottom(this.#x).ticks(6, 's'));
    this.#yAxis.call(axisLeft(this.#y).ticks(6, 's'));
  }

  #hover(e: MouseEvent): void {
    const target = e.target as SVGElement;
    if (target.tagName !== 'circle') return;
    const p = this.#points[Number(target.dataset.i)];
    if (!p) return;
    this.#tip.textContent = `${p.key} — ${p.words.toLocaleString('en-US')} words, ${p.lines.toLocaleString('en-US')} lines`;
    const box = (this.#svg.node() as SVGSVGElement).getBoundingClientRect();
    const dot = target.getBoundingClientRect();
    this.#tip.style.left = `${dot.left - box.left + 10}px`;
    this.#tip.style.top = `${dot.top - box.top - 28}px`;
    this.#tip.hidden = false;
  }
}

/** Bytes per second over the job's elapsed seconds. */
export class ThroughputChart {
  #path: Selection<SVGPathElement, unknown, null, undefined>;
  #dots: Selection<SVGGElement, unknown, null, undefined>;
  #xAxis: Selection<SVGGElement, unknown, null, undefined>;
  #yAxis: Selection<SVGGElement, unknown, null, undefined>;
  #x: ScaleLinear<number, number>;
  #y: ScaleLinear<number, number>;
  #samples: Array<[number, number]> = [];
  #note: HTMLElement;

  constructor(container: HTMLElement) {
    const f = frame(container, 'Throughput over time', 'seconds', 'MiB/s');
    this.#note = document.createElement('p');
    this.#note.className = 'muted chart-note';
    container.append(this.#note);
    this.#xAxis = f.xAxis;
    this.#yAxis = f.yAxis;
    this.#x = f.x;
    this.#y = f.y;
    this.#path = f.svg.append('path').attr('class', 'throughput');
    this.#dots = f.svg.append('g');
    this.draw();
  }

  /** The highest sample, MiB/s. */
  get peak(): number {
    return Math.max(0, ...this.#samples.map((s) => s[1]));
  }

  /** Records a sample (seconds since start, MiB per second); call `draw` once per frame. */
  push(seconds: number, mibPerSecond: number): void {
    this.#samples.push([seconds, mibPerSecond]);
  }

  /** Redraws the line and axes. */
  draw(): void {
    const last = this.#samples.at(-1);
    this.#x.domain([0, Math.max(1, last?.[0] ?? 1)]);
    this.#y.domain([0, Math.max(0.001, ...this.#samples.map((s) => s[1]))]).nice();
    this.#xAxis.call(axisBottom(this.#x).ticks(6));
    this.#yAxis.call(axisLeft(this.#y).ticks(5));
    const x = this.#x;
    const y = this.#y;
    this.#path.attr(
      'd',
      line<[number, number]>(
        (d) => x(d[0]),
        (d) => y(d[1]),
      )(this.#samples) ?? '',
    );
    const peak = this.peak;
    this.#note.textContent = last ? `now ${last[1].toFixed(1)} MiB/s · peak ${peak.toFixed(1)} MiB/s` : '';
    this.#note.dataset.peak = String(peak);
    // Dots only while the series is short enough to read them.
    this.#dots
      .selectAll('circle')
      .data(this.#samples.length <= 60 ? this.#samples : [])
      .join('circle')
      .attr('class', 'sample')
      .attr('r', 3)
      .attr('cx', (d) => x(d[0]))
      .attr('cy', (d) => y(d[1]));
  }
}
