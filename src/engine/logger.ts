/** The structured logger engine parts write to (pino's shape: fields first, then the message). */
export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
