// Heap used AFTER a full GC in the capturer child. A process cannot be collected from outside,
// except through the V8 inspector it was started with (--inspect on 127.0.0.1): that is how the
// soak compares heaps without the noise of garbage not yet collected.
import { WebSocket } from 'undici';
import type { MessageEvent } from 'undici';

interface InspectorTarget {
  webSocketDebuggerUrl: string;
}

interface InspectorReply {
  id?: number;
  result?: { result?: { value?: unknown } };
  error?: { message: string };
}

export async function heapUsedAfterGc(inspectPort: number, timeoutMs = 30_000): Promise<number> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`, { signal: AbortSignal.timeout(timeoutMs) })).json()) as InspectorTarget[];
  const target = targets[0];
  if (!target) throw new Error(`no inspector target on port ${inspectPort}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error('inspector websocket failed')), { once: true });
    });
    let nextId = 1;
    const call = (method: string, params: Record<string, unknown> = {}): Promise<InspectorReply> =>
      new Promise<InspectorReply>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => reject(new Error(`inspector ${method} timed out`)), timeoutMs);
        const onMessage = (event: MessageEvent): void => {
          const reply = JSON.parse(String(event.data)) as InspectorReply;
          if (reply.id !== id) return;
          clearTimeout(timer);
          socket.removeEventListener('message', onMessage);
          if (reply.error) reject(new Error(`inspector ${method}: ${reply.error.message}`));
          else resolve(reply);
        };
        socket.addEventListener('message', onMessage);
        socket.send(JSON.stringify({ id, method, params }));
      });
    // Twice: the first pass may only queue finalizers whose objects the second one frees.
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const reply = await call('Runtime.evaluate', { expression: 'process.memoryUsage().heapUsed', returnByValue: true });
    const value = reply.result?.result?.value;
    if (typeof value !== 'number') throw new Error('inspector returned no heapUsed');
    return value;
  } finally {
    socket.close();
  }
}
