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

export const badRequest = (reason: string) => new HttpError(400, reason);
export const notFound = (path: string) => new HttpError(404, `No route for ${path.length > 80 ? `${path.slice(0, 80)}…` : path}`);

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
