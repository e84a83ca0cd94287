/** An error whose status and one-line reason are safe to show the caller. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Caller input shown in a reason, cut short so the reason stays short. */
export const shorten = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text);

export const badRequest = (reason: string) => new HttpError(400, reason);
export const notFound = (path: string) => new HttpError(404, `No route for ${shorten(path, 80)}`);

/** The next hop failed: 502 when it refused or answered badly, 504 when it was too slow. */
export class DownstreamError extends HttpError {
  constructor(
    status: 502 | 504,
    message: string,
  ) {
    super(status, message);
    this.name = 'DownstreamError';
  }
}
