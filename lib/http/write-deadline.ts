import type { Context } from 'aws-lambda';
import { ServiceUnavailableError } from '../errors.js';
import { DEADLINE_MARGIN_MS } from './json-api.js';

/** The moment a request starts the write its answer reports: from then on only the write's outcome may answer. */
export interface WritePoint {
  /** Throws ServiceUnavailableError when the request was already answered 503: the write must not start. */
  begin(): void;
}

/**
 * A request whose answer reports a write (a registration's 201) against the Lambda deadline. As
 * json-api's deadline, it answers 503 + Retry-After DEADLINE_MARGIN_MS before the deadline, but only
 * while the write has not begun, and then the write never begins (`begin` throws): a 503 never stands
 * for a registration that was written. Once the write has begun, the answer is its real outcome,
 * however late (in AWS the SDK's own timeouts end a hung call before the function's timeout).
 */
export async function answerBeforeWriteDeadline<T>(context: Partial<Pick<Context, 'getRemainingTimeInMillis'>>, work: (write: WritePoint) => Promise<T>): Promise<T> {
  // No clock to run out (a test's or a container's context): no deadline, as middy does.
  if (typeof context.getRemainingTimeInMillis !== 'function') return work({ begin: () => undefined });
  const remainingMs = context.getRemainingTimeInMillis();
  let answered = false;
  let writing = false;
  const write: WritePoint = {
    begin() {
      if (answered) throw new ServiceUnavailableError('lambda deadline');
      writing = true;
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    const onDeadline = () => {
      if (writing) return;
      answered = true;
      reject(new ServiceUnavailableError('lambda deadline'));
    };
    timer = setTimeout(onDeadline, Math.max(0, remainingMs - DEADLINE_MARGIN_MS));
  });
  const running = work(write);
  try {
    return await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
    // Answered 503 already: what the abandoned work ends with is nobody's answer.
    running.catch(() => undefined);
  }
}

/** The repository with `begin` called just before each method named in `writes` starts. */
export function guardWrites<R extends object>(repository: R, write: WritePoint, writes: readonly (keyof R)[]): R {
  return new Proxy(repository, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (!writes.includes(property as keyof R)) return value.bind(target);
      return (...args: unknown[]) => {
        write.begin();
        return value.apply(target, args);
      };
    },
  });
}
