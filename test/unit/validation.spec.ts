import { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import fc from 'fast-check';
import { IsInt, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import { ValidationFailed } from '../../src/common/errors';
import {
  createValidationPipe,
  IsDateTime,
  isDateTime,
  IsJsonObject,
  NO_NUL,
  RFC3339,
  UuidParam,
} from '../../src/common/validation';

class PageDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @IsOptional()
  @IsString()
  @Matches(NO_NUL, { message: 'cursor must not contain U+0000' })
  cursor?: string;
}

class InnerDto {
  @IsString()
  name!: string;
}

class CreateDto {
  @IsString()
  externalId!: string;

  @IsOptional()
  @IsJsonObject(64)
  metadata?: Record<string, unknown>;

  @IsOptional()
  @IsDateTime()
  at?: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => InnerDto)
  inner?: InnerDto;
}

const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });
const query = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'query', metatype });

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationFailed);
  expect(error).toMatchObject({ code: 'validation_failed', status: 400 });
  return (error as Error).message;
}

describe('createValidationPipe', () => {
  it('transforms a valid input into the DTO, converting only where @Type says so', async () => {
    const result = await createValidationPipe().transform({ limit: '5', cursor: 'abc' }, query(PageDto));
    expect(result).toBeInstanceOf(PageDto);
    expect(result).toEqual({ limit: 5, cursor: 'abc' });
  });

  it('refuses unknown fields instead of dropping them, naming the field', async () => {
    const message = await refusal(createValidationPipe().transform({ externalId: 'x', admin: true }, body(CreateDto)));
    expect(message).toBe('admin: property admin should not exist');
    const nested = await refusal(
      createValidationPipe().transform({ externalId: 'x', inner: { name: 'n', role: 'admin' } }, body(CreateDto)),
    );
    expect(nested).toBe('inner.role: property role should not exist');
  });

  it('names the field and rule without echoing the value', async () => {
    const message = await refusal(createValidationPipe().transform({ limit: 'sk_live_SECRET' }, query(PageDto)));
    expect(message).toContain('limit');
    expect(message).not.toContain('SECRET');
  });

  it('refuses an unpaired surrogate anywhere in a body or query (Postgres jsonb cannot hold one), naming only a plain field', async () => {
    const pipe = createValidationPipe();
    expect(await refusal(pipe.transform({ externalId: 'x\ud800' }, body(CreateDto)))).toBe(
      'externalId must be well-formed Unicode (no unpaired surrogates)',
    );
    expect(await refusal(pipe.transform({ externalId: 'x', metadata: { a: ['\udfff'] } }, body(CreateDto)))).toContain(
      'metadata must be',
    );
    expect(await refusal(pipe.transform({ externalId: 'x', metadata: { '\ud800': 1 } }, body(CreateDto)))).toContain(
      'metadata must be',
    );
    expect(await refusal(pipe.transform({ 'a b\ud800': 'x' }, body(CreateDto)))).toBe(
      'A field must be well-formed Unicode (no unpaired surrogates)',
    );
    expect(await refusal(pipe.transform({ cursor: '\udc00x' }, query(PageDto)))).toContain('cursor');
    // A surrogate pair (an emoji) is well-formed.
    await expect(pipe.transform({ externalId: 'x\ud83d\ude00' }, body(CreateDto))).resolves.toMatchObject({
      externalId: 'x😀',
    });
  });

  it('joins every problem and names nested fields by their path', async () => {
    const message = await refusal(
      createValidationPipe().transform({ externalId: 5, inner: { name: 7 } }, body(CreateDto)),
    );
    expect(message).toBe('externalId must be a string; inner.name must be a string');
  });

  describe('empty input', () => {
    it('gives a new DTO with its defaults, a fresh instance every time', async () => {
      const pipe = createValidationPipe();
      const first = (await pipe.transform({}, query(PageDto))) as PageDto;
      const second = (await pipe.transform({}, query(PageDto))) as PageDto;
      expect(first).toBeInstanceOf(PageDto);
      expect(second).toBeInstanceOf(PageDto);
      expect(second).toEqual({ limit: 20 });
      expect(second).not.toBe(first);
      second.limit = 99;
      expect(((await pipe.transform({}, query(PageDto))) as PageDto).limit).toBe(20);
    });

    it('keeps refusing `{}` for a DTO with required fields, every time', async () => {
      const pipe = createValidationPipe();
      for (let i = 0; i < 3; i++) {
        expect(await refusal(pipe.transform({}, body(CreateDto)))).toBe('externalId must be a string');
      }
    });

    it('still validates a non-empty input after an empty one was let through', async () => {
      const pipe = createValidationPipe();
      await pipe.transform({}, query(PageDto));
      await refusal(pipe.transform({ limit: '0' }, query(PageDto)));
      await refusal(pipe.transform({ extra: '1' }, query(PageDto)));
    });

    it('does not take an object with only inherited or symbol keys for a plain `{}`', async () => {
      const pipe = createValidationPipe();
      await pipe.transform({}, query(PageDto));
      const withProto = Object.create({ injected: 'x' }) as object;
      expect(await pipe.transform(withProto, query(PageDto))).toBeInstanceOf(PageDto);
    });
  });
});

describe('IsJsonObject', () => {
  const validate = (metadata: unknown) =>
    createValidationPipe().transform({ externalId: 'x', metadata }, body(CreateDto));

  it.each([
    ['an object', { a: 1 }],
    ['an empty object', {}],
    ['a nested object', { a: { b: [1, 'two'] } }],
    ['exactly the limit in bytes', { a: 'é'.repeat(28) }],
  ])('accepts %s', async (_name, metadata) => {
    await expect(validate(metadata)).resolves.toMatchObject({ metadata });
  });

  it.each([
    ['an array', [1, 2]],
    ['a string', '{"a":1}'],
    ['too many bytes', { a: 'x'.repeat(60) }],
    ['too many bytes in UTF-8 (not characters)', { a: 'é'.repeat(29) }],
    ['U+0000 in a value', { a: 'x\u0000y' }],
    ['U+0000 in a nested key', { a: [{ 'k\u0000': 1 }] }],
  ])('refuses %s', async (_name, metadata) => {
    expect(await refusal(validate(metadata))).toBe(
      'metadata must be a JSON object of at most 64 bytes without U+0000 characters',
    );
  });
});

describe('IsDateTime / RFC3339', () => {
  it.each([
    '2030-01-02T03:04:05Z',
    '2030-01-02T03:04:05.123Z',
    '2030-01-02T03:04:05.123456789Z',
    '2030-01-02T03:04:05+02:00',
    '2030-01-02t03:04:05z',
  ])('accepts %s', async (at) => {
    await expect(createValidationPipe().transform({ externalId: 'x', at }, body(CreateDto))).resolves.toMatchObject({
      at,
    });
  });

  it.each([
    '2030-01-02',
    '2030-01-02 03:04:05Z',
    '2030-01-02T03:04:05',
    '2030-13-02T03:04:05Z',
    '2030-01-32T03:04:05Z',
    '2030-01-02T24:00:00Z',
    '2030-01-02T03:04:05+2:00',
    '2030-01-01T23:59:60Z',
    'tomorrow',
    // Well-formed but no such day: Date.parse rolls these over into the next month.
    '2026-02-30T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '2100-02-29T12:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-06-31T00:00:00+02:00',
    '2026-09-31T00:00:00.5Z',
    '2026-11-31t00:00:00z',
  ])('refuses %s', async (at) => {
    expect(await refusal(createValidationPipe().transform({ externalId: 'x', at }, body(CreateDto)))).toBe(
      'at must be an RFC 3339 date-time such as 2030-01-02T03:04:05Z',
    );
  });

  it('is anchored at both ends', () => {
    expect(RFC3339.test('x2030-01-02T03:04:05Z')).toBe(false);
    expect(RFC3339.test('2030-01-02T03:04:05Zx')).toBe(false);
  });

  it.each(['2024-02-29T00:00:00Z', '2000-02-29T23:59:59Z', '2026-12-31T23:59:59-12:00', '0001-01-01T00:00:00Z'])(
    'accepts the real day %s',
    (at) => expect(isDateTime(at)).toBe(true),
  );

  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  // Independent of Date: the Gregorian calendar's month lengths.
  const daysIn = (y: number, m: number) => [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];

  it('accepts exactly the fields of a real calendar day and time, whatever the offset (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          y: fc.integer({ min: 0, max: 9999 }),
          m: fc.integer({ min: 1, max: 12 }),
          d: fc.integer({ min: 1, max: 31 }),
          h: fc.integer({ min: 0, max: 23 }),
          mi: fc.integer({ min: 0, max: 59 }),
          s: fc.integer({ min: 0, max: 60 }),
          zone: fc.constantFrom('Z', 'z', '+00:00', '-12:00', '+14:00', '+05:30', '-23:59'),
          fraction: fc.constantFrom('', '.0', '.123456789'),
        }),
        ({ y, m, d, h, mi, s, zone, fraction }) => {
          const text = `${pad(y, 4)}-${pad(m)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}${fraction}${zone}`;
          expect(RFC3339.test(text)).toBe(true);
          expect(isDateTime(text)).toBe(d <= daysIn(y, m) && s < 60);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("accepts every instant's own ISO string (property)", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        (date) => expect(isDateTime(date.toISOString())).toBe(true),
      ),
    );
  });
});

describe('UuidParam', () => {
  it('passes a UUID and refuses anything else with a fixed message', async () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const param: ArgumentMetadata = { type: 'param', data: 'id', metatype: String };
    await expect(UuidParam.transform(id, param)).resolves.toBe(id);
    const message = await refusal(UuidParam.transform("1' OR '1'='1", param));
    expect(message).toBe('id must be a UUID');
  });
});
