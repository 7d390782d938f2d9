/** An API-level error the simulator answers with `{"Response": {"Error": {Code, Message}}}`. */
export class SimApiError extends Error {
  override readonly name = 'SimApiError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const fail = (code: string, message: string): never => {
  throw new SimApiError(code, message);
};
