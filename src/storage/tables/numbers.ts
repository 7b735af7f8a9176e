import { ValidationError } from './errors.js';

/** A decimal as sign, significant digits (no leading or trailing zeros) and base-10 exponent. */
interface Decimal {
  negative: boolean;
  digits: string;
  exponent: number;
}

const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const MAX_DIGITS = 38;

/** Parses a DynamoDB number. @throws ValidationError when it is not one, or has over 38 digits. */
export function parseNumber(text: string): Decimal {
  const m = NUMBER.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === ''))
    throw new ValidationError(`The parameter cannot be converted to a numeric value: ${text}`);
  const whole = m[2] ?? '';
  const fraction = m[3] ?? '';
  let digits = (whole + fraction).replace(/^0+/, '');
  let exponent = Number(m[4] ?? 0) - fraction.length;
  const trailing = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  if (digits.length > MAX_DIGITS)
    throw new ValidationError(`Attempting to store more than 38 significant digits in a Number: ${text}`);
  if (digits === '') return { negative: false, digits: '', exponent: 0 };
  const magnitude = exponent + digits.length;
  if (magnitude > 126 || magnitude < -129) throw new ValidationError(`Number overflow or underflow: ${text}`);
  return { negative: m[1] === '-', digits, exponent };
}

/** The canonical text of a number (DynamoDB drops leading and trailing zeros). */
export function normalizeNumber(text: string): string {
  return formatDecimal(parseNumber(text));
}

/** Exact sum of two numbers. */
export function addNumbers(a: string, b: string): string {
  return formatDecimal(fromScaled(...sumScaled(parseNumber(a), parseNumber(b))));
}

/** Exact difference a − b. */
export function subtractNumbers(a: string, b: string): string {
  const nb = parseNumber(b);
  return formatDecimal(fromScaled(...sumScaled(parseNumber(a), { ...nb, negative: !nb.negative })));
}

/**
 * A string whose byte order is the numeric order of the numbers: used for sort keys and comparisons.
 * Zero is "1"; positives "2" + magnitude + digits; negatives "0" + inverted magnitude + 9s-complement + "~".
 */
export function sortableNumber(text: string): string {
  const d = parseNumber(text);
  if (d.digits === '') return '1';
  const magnitude = d.exponent + d.digits.length + 200;
  if (!d.negative) return `2${String(magnitude).padStart(3, '0')}${d.digits}`;
  const complement = [...d.digits].map((c) => String(9 - Number(c))).join('');
  return `0${String(999 - magnitude).padStart(3, '0')}${complement}~`;
}

/** Numeric comparison: negative, zero or positive. */
export function compareNumbers(a: string, b: string): number {
  const x = sortableNumber(a);
  const y = sortableNumber(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function sumScaled(a: Decimal, b: Decimal): [bigint, number] {
  const exponent = Math.min(a.exponent, b.exponent);
  const scaled = (d: Decimal) =>
    d.digits === '' ? 0n : (d.negative ? -1n : 1n) * BigInt(d.digits) * 10n ** BigInt(d.exponent - exponent);
  return [scaled(a) + scaled(b), exponent];
}

function fromScaled(value: bigint, exponent: number): Decimal {
  if (value === 0n) return { negative: false, digits: '', exponent: 0 };
  const negative = value < 0n;
  const text = (negative ? -value : value).toString();
  const stripped = text.replace(/0+$/, '');
  const result = { negative, digits: stripped, exponent: exponent + text.length - stripped.length };
  if (result.digits.length > MAX_DIGITS)
    throw new ValidationError(
      'Number overflow. Attempting to store a number with magnitude larger than supported range',
    );
  return result;
}

function formatDecimal(d: Decimal): string {
  if (d.digits === '') return '0';
  const sign = d.negative ? '-' : '';
  if (d.exponent >= 0) return `${sign}${d.digits}${'0'.repeat(d.exponent)}`;
  const point = d.digits.length + d.exponent;
  if (point > 0) return `${sign}${d.digits.slice(0, point)}.${d.digits.slice(point)}`;
  return `${sign}0.${'0'.repeat(-point)}${d.digits}`;
}
