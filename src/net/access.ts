// Address allow/deny lists (`--allow`, `--deny`) over CIDR ranges, checked for each new peer.
import net from 'node:net';
import { fieldError } from '../errors.js';

/** CIDR ranges or single addresses. With `allow`, only those may connect; `deny` always wins. */
export interface AccessLists {
  allow?: string[];
  deny?: string[];
}

/** A compiled allow/deny check. */
export interface AccessCheck {
  allows(address: string): boolean;
}

function toBlockList(entries: string[], option: string): net.BlockList {
  const list = new net.BlockList();
  for (const entry of entries) {
    const [address, prefixText] = entry.trim().split('/');
    const family = net.isIP(address ?? '');
    if (!family) throw fieldError(option, `: '${entry}' is not an IP address or CIDR range such as 10.0.0.0/8 or fd00::/8`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefixText === undefined) {
      list.addAddress(address!, type);
      continue;
    }
    const prefix = /^\d+$/.test(prefixText) ? Number(prefixText) : -1;
    if (prefix < 0 || prefix > (family === 6 ? 128 : 32)) throw fieldError(option, `: bad prefix length in '${entry}'`);
    list.addSubnet(address!, prefix, type);
  }
  return list;
}

/** Builds the check, or undefined when neither list is given. */
export function buildBlockList(lists: AccessLists): AccessCheck | undefined {
  if (!lists.allow?.length && !lists.deny?.length) return undefined;
  const allow = lists.allow?.length ? toBlockList(lists.allow, 'allow') : undefined;
  const deny = lists.deny?.length ? toBlockList(lists.deny, 'deny') : undefined;
  return {
    allows(raw: string): boolean {
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(raw);
      const address = mapped ? mapped[1]! : raw;
      const type = net.isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (deny?.check(address, type)) return false;
      return allow ? allow.check(address, type) : true;
    },
  };
}
