// Container ids come from the daemon (lists, events), from positions.json, and go into URL
// paths: only the daemon's own form is accepted, 64 lowercase hex characters. Anything else (an
// events stream carrying `Actor.ID ".."` made a capturer request `GET /json`) is refused where it
// enters, counted and logged, and never reaches a request.

const CONTAINER_ID = /^[0-9a-f]{64}$/;

export function isContainerId(value: string): boolean {
  return CONTAINER_ID.test(value);
}

/** A short, printable excerpt of a refused id for logs (it may hold anything). */
export function describeRefusedId(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
