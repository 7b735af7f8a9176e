/**
 * Epoch milliseconds of the one ISO-8601 form events almost always carry (`Date.prototype.toISOString`'s
 * `YYYY-MM-DDTHH:mm:ss.sssZ`) by arithmetic, without Date.parse: the batch mapper reads one per
 * event. Any other text answers undefined, and the caller asks Date.parse.
 */

const ISO_LENGTH = 24;
const MS_PER_DAY = 86_400_000;
/** The month timeOf converted last (events come in time order, so mostly the same month). */
let cachedYear = -1;
let cachedMonth = -1;
let cachedDays = 0;

/**
 * The time `text` names when it is exactly `YYYY-MM-DDTHH:mm:ss.sssZ` with month 1–12, day 1–31,
 * hour 0–23, minute and second 0–59: the same number Date.parse gives (which also rolls a day past
 * the month's end, such as Feb 30, into the next month). Otherwise undefined.
 */
export function isoTimeMs(text: string): number | undefined {
  if (
    text.length !== ISO_LENGTH ||
    text.charCodeAt(4) !== 0x2d || // -
    text.charCodeAt(7) !== 0x2d ||
    text.charCodeAt(10) !== 0x54 || // T
    text.charCodeAt(13) !== 0x3a || // :
    text.charCodeAt(16) !== 0x3a ||
    text.charCodeAt(19) !== 0x2e || // .
    text.charCodeAt(23) !== 0x5a // Z
  )
    return undefined;
  return timeOf(
    digits(text, 0, 4),
    digits(text, 5, 2),
    digits(text, 8, 2),
    digits(text, 11, 2),
    digits(text, 14, 2),
    digits(text, 17, 2),
    digits(text, 20, 3),
  );
}

/** isoTimeMs of the ASCII text bytes[start, end) (the batch mapper reads event times from bytes). */
export function isoTimeMsOfBytes(bytes: Uint8Array, start: number, end: number): number | undefined {
  if (
    end - start !== ISO_LENGTH ||
    bytes[start + 4] !== 0x2d ||
    bytes[start + 7] !== 0x2d ||
    bytes[start + 10] !== 0x54 ||
    bytes[start + 13] !== 0x3a ||
    bytes[start + 16] !== 0x3a ||
    bytes[start + 19] !== 0x2e ||
    bytes[start + 23] !== 0x5a
  )
    return undefined;
  return timeOf(
    byteDigits(bytes, start, 4),
    byteDigits(bytes, start + 5, 2),
    byteDigits(bytes, start + 8, 2),
    byteDigits(bytes, start + 11, 2),
    byteDigits(bytes, start + 14, 2),
    byteDigits(bytes, start + 17, 2),
    byteDigits(bytes, start + 20, 3),
  );
}

/** Epoch ms of the parts, each -1 when not digits; undefined when one is missing or out of range. */
function timeOf(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number | undefined {
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0) return undefined;
  if (year !== cachedYear || month !== cachedMonth) {
    cachedYear = year;
    cachedMonth = month;
    cachedDays = daysFromCivil(year, month);
  }
  return (cachedDays + day - 1) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + ms;
}

/** digits over bytes. */
function byteDigits(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = (bytes[i] as number) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** The decimal number in text[at, at + count), or -1 when a character there is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Days from 1970-01-01 to the first of `month` in `year` (proleptic Gregorian; H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5);
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
