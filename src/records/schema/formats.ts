/**
 * The two string formats predicates use, checked as JSON Schema 2020-12
 * defines them (RFC 3339 `date-time`, RFC 3986 `URI`), written from the RFC
 * grammars rather than borrowed, so the validator has no runtime dependency.
 */

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/**
 * RFC 3339 section 5.6 `date-time`: `2025-01-31T12:00:00Z`,
 * `2025-01-31t12:00:00.5+01:00`. A leap second (`:60`) is accepted only where
 * one can occur: at 23:59 UTC.
 *
 * @param text the string to check
 * @returns whether `text` is an RFC 3339 date-time
 * @throws nothing: a malformed value gives `false`
 * @example
 * ```ts
 * isDateTime('1998-12-31T23:59:60Z') // true
 * isDateTime('2025-02-29T00:00:00Z') // false
 * ```
 */
export function isDateTime(text: string): boolean {
  const m = DATE_TIME.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1) return false;
  const days = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day > days || hour > 23 || minute > 59 || second > 60) return false;
  let offset = 0;
  if (m[7] !== undefined) {
    const oh = Number(m[8]);
    const om = Number(m[9]);
    if (oh > 23 || om > 59) return false;
    offset = (m[7] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  if (second === 60) {
    // Leap seconds are inserted at the end of a UTC day.
    const utcMinutes = (((hour * 60 + minute - offset) % 1440) + 1440) % 1440;
    if (utcMinutes !== 23 * 60 + 59) return false;
  }
  return true;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const PCT = '%[0-9A-Fa-f]{2}';
const UNRESERVED_SUB = "A-Za-z0-9\\-._~!$&'()*+,;=";
const PATH = new RegExp(`^(?:[${UNRESERVED_SUB}:@/]|${PCT})*$`);
const QUERY = new RegExp(`^(?:[${UNRESERVED_SUB}:@/?]|${PCT})*$`);
const USERINFO = new RegExp(`^(?:[${UNRESERVED_SUB}:]|${PCT})*$`);
const REG_NAME = new RegExp(`^(?:[${UNRESERVED_SUB}]|${PCT})*$`);
const PORT = /^\d*$/;
const IP_FUTURE = new RegExp(`^[Vv][0-9A-Fa-f]+\\.[${UNRESERVED_SUB}:]+$`);
const H16 = /^[0-9A-Fa-f]{1,4}$/;
const DEC_OCTET = /^(?:\d|[1-9]\d|1\d\d|2[0-4]\d|25[0-5])$/;

function isIPv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => DEC_OCTET.test(p));
}

/** RFC 3986 `IPv6address`: eight 16-bit groups, the last two possibly an IPv4 address, `::` once at most. */
function isIPv6(text: string): boolean {
  const gap = text.indexOf('::');
  if (gap !== -1 && text.indexOf('::', gap + 1) !== -1) return false;
  const units = (part: string): number | undefined => {
    if (part === '') return 0;
    const groups = part.split(':');
    let n = 0;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (H16.test(g)) n += 1;
      else if (i === groups.length - 1 && isIPv4(g)) n += 2;
      else return undefined;
    }
    return n;
  };
  if (gap === -1) return units(text) === 8 && !text.startsWith(':') && !text.endsWith(':');
  const head = text.slice(0, gap);
  const tail = text.slice(gap + 2);
  // An IPv4 tail may only end the address, never precede the `::`.
  if (head.includes('.')) return false;
  const a = units(head);
  const b = units(tail);
  return a !== undefined && b !== undefined && a + b <= 7;
}

function isAuthority(text: string): boolean {
  let hostPort = text;
  const at = text.lastIndexOf('@');
  if (at !== -1) {
    if (!USERINFO.test(text.slice(0, at))) return false;
    hostPort = text.slice(at + 1);
  }
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close === -1) return false;
    const literal = hostPort.slice(1, close);
    if (!isIPv6(literal) && !IP_FUTURE.test(literal)) return false;
    const rest = hostPort.slice(close + 1);
    return rest === '' || (rest.startsWith(':') && PORT.test(rest.slice(1)));
  }
  const colon = hostPort.indexOf(':');
  if (colon === -1) return REG_NAME.test(hostPort);
  return REG_NAME.test(hostPort.slice(0, colon)) && PORT.test(hostPort.slice(colon + 1));
}

/**
 * RFC 3986 `URI` (absolute, with a scheme; a fragment is allowed): ASCII
 * only, percent-encoding well formed, IPv6 literals checked.
 *
 * @param text the string to check
 * @returns whether `text` is a URI
 * @throws nothing: a malformed value gives `false`
 * @example
 * ```ts
 * isUri('https://example.com/data?x=1#top') // true
 * isUri('//example.com/relative') // false
 * ```
 */
export function isUri(text: string): boolean {
  const colon = text.indexOf(':');
  if (colon < 1 || !SCHEME.test(text.slice(0, colon))) return false;
  let rest = text.slice(colon + 1);
  const hash = rest.indexOf('#');
  if (hash !== -1) {
    if (!QUERY.test(rest.slice(hash + 1))) return false;
    rest = rest.slice(0, hash);
  }
  const question = rest.indexOf('?');
  if (question !== -1) {
    if (!QUERY.test(rest.slice(question + 1))) return false;
    rest = rest.slice(0, question);
  }
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const authority = slash === -1 ? rest.slice(2) : rest.slice(2, slash);
    const path = slash === -1 ? '' : rest.slice(slash);
    return isAuthority(authority) && PATH.test(path);
  }
  return PATH.test(rest);
}
