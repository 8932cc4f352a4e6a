/**
 * The perspectives' network namespaces: a local model of remote regions (BR 3.2.2.9). Each namespace has its own
 * loopback (where its Unbound listens) and one veth pair to the host with a /30 on it and no route beyond: from inside,
 * the only reachable addresses are the host end of its own link — where the Temporal frontend (mTLS) and Knot listen,
 * and PostgreSQL, the API and everything else bound to 127.0.0.1 do not.
 */
import { run } from './host';
import type { StackPerspective } from './layout';

const ip = (...args: string[]) => run('ip', args);

async function exists(netns: string): Promise<boolean> {
  return (await run('ip', ['netns', 'list'])).split('\n').some((l) => l.split(/\s+/)[0] === netns);
}

/** Removes the namespace (its veth pair goes with it); nothing when absent. */
export async function removeNamespace(p: StackPerspective): Promise<void> {
  if (await exists(p.netns)) await ip('netns', 'del', p.netns);
  // A host end left behind by an interrupted setup.
  await ip('link', 'del', p.hostIf).catch(() => {});
}

/** A fresh namespace with its veth link (recreated, so a crashed run leaves nothing that changes the next one). */
export async function createNamespace(p: StackPerspective): Promise<void> {
  await removeNamespace(p);
  await ip('netns', 'add', p.netns);
  await ip('link', 'add', p.hostIf, 'type', 'veth', 'peer', 'name', p.nsIf, 'netns', p.netns);
  await ip('addr', 'add', `${p.hostAddress}/30`, 'dev', p.hostIf);
  await ip('link', 'set', p.hostIf, 'up');
  await ip('-n', p.netns, 'addr', 'add', `${p.nsAddress}/30`, 'dev', p.nsIf);
  await ip('-n', p.netns, 'link', 'set', p.nsIf, 'up');
  await ip('-n', p.netns, 'link', 'set', 'lo', 'up');
}
