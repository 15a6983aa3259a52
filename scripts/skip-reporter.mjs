// A node:test reporter that writes one JSON line per skipped test (name, file, reason), for the
// closing summary of scripts/run-tests.mjs: a skip that scrolled by in the spec output is easy
// to miss, a count with the command that would have run the test is not.
export default async function* skipReporter(source) {
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.skip !== undefined) {
      const reason = typeof event.data.skip === 'string' ? event.data.skip : '';
      yield `${JSON.stringify({ name: event.data.name, file: event.data.file ?? '', reason })}\n`;
    }
  }
}
