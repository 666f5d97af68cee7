/**
 * The formats a precompiled validator references by function (ajv inlines those that are a plain
 * pattern, like email). Imported only by generated validators whose schemas use such a format.
 *
 * ajv-formats' `date`, as in ajv-formats 3.0.1 (MIT) dist/formats.js, rather than its module: that
 * module is CommonJS, so a bundle would carry every format it defines (8 KiB) for this one.
 * test/unit/generated-validators.test.ts checks that this answers as ajv-formats' does.
 */
const DATE = /^(\d\d\d\d)-(\d\d)-(\d\d)$/;
const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// https://tools.ietf.org/html/rfc3339#appendix-C
const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

/** full-date from http://tools.ietf.org/html/rfc3339#section-5.6 */
function date(str: string): boolean {
  const matches = DATE.exec(str);
  if (!matches) return false;
  const year = +matches[1]!;
  const month = +matches[2]!;
  const day = +matches[3]!;
  return month >= 1 && month <= 12 && day >= 1 && day <= (month === 2 && isLeapYear(year) ? 29 : DAYS[month]!);
}

/** Shaped as ajv-formats' fullFormats: the generated code calls `formats.date.validate`. */
export const formats = { date: { validate: date } } as const;
