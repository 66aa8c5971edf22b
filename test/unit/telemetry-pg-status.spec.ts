import { SpanStatusCode, type SpanStatus } from '@opentelemetry/api';
import { codeOnlyStatus } from '../../src/telemetry/sdk';

describe('pg spans keep a failed query’s status code, never its message', () => {
  it('drops the message Postgres wrote (it can quote the value), keeps the code', () => {
    const statuses: SpanStatus[] = [];
    const span = {
      setStatus(status: SpanStatus) {
        statuses.push(status);
        return this;
      },
    };
    codeOnlyStatus(span as never);
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'invalid input syntax for type uuid: "secret-value"' });
    expect(statuses).toEqual([{ code: SpanStatusCode.ERROR }]);
  });
});
