import { InvalidParameterValue } from '../shared/errors.js';

/** A parsed schedule expression: `next(after)` is the first fire time strictly after `after` (UTC). */
export interface ScheduleExpression {
  readonly expression: string;
  readonly kind: 'rate' | 'cron';
  /** The next fire time after `after` (epoch ms), or undefined when the expression never fires again. */
  next(after: number): number | undefined;
}

type Matcher = (value: number, ctx: DayContext) => boolean;

interface DayContext {
  year: number;
  month: number; // 1–12
  day: number;
  weekday: number; // 1 (SUN) – 7 (SAT), as AWS counts
  daysInMonth: number;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MAX_YEAR = 2199;

/**
 * Parses `rate(5 minutes)` or an AWS 6-field `cron(min hour day-of-month month day-of-week year)`
 * expression (with `?`, `L`, `W`, `#`, ranges, lists, steps and names). Rates count from `origin`.
 * @throws InvalidParameterValueException naming what is wrong.
 */
export function parseScheduleExpression(expression: string, origin = 0): ScheduleExpression {
  const rate = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(expression.trim());
  if (rate) {
    const count = Number(rate[1]);
    const unit = (rate[2] as string).replace(/s$/, '') as keyof typeof UNIT_MS;
    if (count < 1) throw new InvalidParameterValue(`Invalid rate expression: ${expression} (value must be positive)`);
    if ((count === 1) !== !(rate[2] as string).endsWith('s')) {
      throw new InvalidParameterValue(`Invalid rate expression: ${expression} (use "1 ${unit}" or "N ${unit}s")`);
    }
    const interval = count * UNIT_MS[unit];
    return {
      expression,
      kind: 'rate',
      next: (after) => origin + (Math.floor((after - origin) / interval) + 1) * interval,
    };
  }
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (!cron)
    throw new InvalidParameterValue(`Invalid schedule expression: ${expression} (expected rate(…) or cron(…))`);
  const fields = (cron[1] as string).trim().split(/\s+/);
  if (fields.length !== 6) throw new InvalidParameterValue(`Invalid cron expression: ${expression} (needs 6 fields)`);
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    throw new InvalidParameterValue(
      `Invalid cron expression: ${expression} (exactly one of day-of-month and day-of-week must be ?)`,
    );
  }
  const minutes = numericField(min, 0, 59, [], 'minutes');
  const hours = numericField(hour, 0, 23, [], 'hours');
  const months = numericField(month, 1, 12, MONTHS, 'month');
  const years = numericField(year, 1970, MAX_YEAR, [], 'year');
  const day: Matcher = dom === '?' ? weekdayField(dow) : monthDayField(dom);
  return { expression, kind: 'cron', next: (after) => nextCron(after, { minutes, hours, months, years, day }) };
}

interface CronMatchers {
  minutes: Matcher;
  hours: Matcher;
  months: Matcher;
  years: Matcher;
  day: Matcher;
}

function nextCron(after: number, m: CronMatchers): number | undefined {
  const t = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  const none = {} as DayContext;
  while (t.getUTCFullYear() <= MAX_YEAR) {
    const year = t.getUTCFullYear();
    if (!m.years(year, none)) {
      t.setTime(Date.UTC(year + 1, 0, 1));
      continue;
    }
    const month = t.getUTCMonth() + 1;
    if (!m.months(month, none)) {
      t.setTime(Date.UTC(year, month, 1));
      continue;
    }
    const ctx: DayContext = {
      year,
      month,
      day: t.getUTCDate(),
      weekday: t.getUTCDay() + 1,
      daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate(),
    };
    if (!m.day(ctx.day, ctx)) {
      t.setTime(Date.UTC(year, month - 1, ctx.day + 1));
      continue;
    }
    if (!m.hours(t.getUTCHours(), none)) {
      t.setTime(Date.UTC(year, month - 1, ctx.day, t.getUTCHours() + 1));
      continue;
    }
    if (!m.minutes(t.getUTCMinutes(), none)) {
      t.setTime(t.getTime() + 60_000);
      continue;
    }
    return t.getTime();
  }
  return undefined;
}

/** A field of numbers (or names): `*`, `a`, `a-b`, `a/b`, `*\/b`, `a-b/c`, comma lists. */
function numericField(text: string, lo: number, hi: number, names: string[], label: string): Matcher {
  const allowed = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw bad(label, text);
    let start: number;
    let end: number;
    if (range === '*') {
      start = lo;
      end = hi;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      start = value(a, lo, hi, names, label, text);
      end = value(b, lo, hi, names, label, text);
    } else {
      start = value(range, lo, hi, names, label, text);
      end = stepText === undefined ? start : hi;
    }
    if (end < start) {
      // A wrapping range such as FRI-MON or 22-2.
      for (let v = start; v <= hi; v += step) allowed.add(v);
      for (let v = lo + ((step - ((hi - start + 1) % step)) % step); v <= end; v += step) allowed.add(v);
    } else {
      for (let v = start; v <= end; v += step) allowed.add(v);
    }
  }
  return (v) => allowed.has(v);
}

/** Day-of-month: numbers and ranges, `L` (last day), `nW` (weekday nearest n), `LW` (last weekday). */
function monthDayField(text: string): Matcher {
  if (text === 'L') return (day, c) => day === c.daysInMonth;
  if (text === 'LW') return (day, c) => day === nearestWeekday(c.daysInMonth, c);
  const w = /^(\d{1,2})W$/.exec(text);
  if (w) {
    const target = Number(w[1]);
    if (target < 1 || target > 31) throw bad('day-of-month', text);
    return (day, c) => day === nearestWeekday(Math.min(target, c.daysInMonth), c);
  }
  return numericField(text, 1, 31, [], 'day-of-month');
}

/** Day-of-week (1 = SUN … 7 = SAT): numbers, names, ranges, `nL` (last n of the month), `n#k` (k-th n). */
function weekdayField(text: string): Matcher {
  if (text === 'L') return (_d, c) => c.weekday === 7;
  const last = /^([1-7]|[A-Z]{3})L$/i.exec(text);
  if (last) {
    const wd = value(last[1] as string, 1, 7, DAYS, 'day-of-week', text);
    return (day, c) => c.weekday === wd && day + 7 > c.daysInMonth;
  }
  const nth = /^([1-7]|[A-Z]{3})#([1-5])$/i.exec(text);
  if (nth) {
    const wd = value(nth[1] as string, 1, 7, DAYS, 'day-of-week', text);
    const k = Number(nth[2]);
    return (day, c) => c.weekday === wd && Math.ceil(day / 7) === k;
  }
  const plain = numericField(text, 1, 7, DAYS, 'day-of-week');
  return (_day, c) => plain(c.weekday, c);
}

/** The weekday (Mon–Fri) nearest to `target` without leaving the month. */
function nearestWeekday(target: number, c: DayContext): number {
  const wd = new Date(Date.UTC(c.year, c.month - 1, target)).getUTCDay(); // 0 SUN … 6 SAT
  if (wd === 6) return target === 1 ? 3 : target - 1;
  if (wd === 0) return target === c.daysInMonth ? target - 2 : target + 1;
  return target;
}

function value(text: string, lo: number, hi: number, names: string[], label: string, field: string): number {
  const index = names.indexOf(text.toUpperCase());
  const n = index >= 0 ? index + lo : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < lo || n > hi) throw bad(label, field);
  return n;
}

function bad(label: string, text: string): InvalidParameterValue {
  return new InvalidParameterValue(`Invalid cron expression: bad ${label} field "${text}"`);
}
