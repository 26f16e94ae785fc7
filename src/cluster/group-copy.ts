import type { Client } from '../registry/client.js';

/**
 * Who on this node gets the copy of a group send that arrived for `groups[index]`. A send to
 * several groups is published once per group, and a node with members in two of them receives two
 * copies; each copy goes only to the members of its group that are in none of the groups listed
 * before it, so every connection gets the message once, through the first of its groups. (A node
 * holding a member of a group listens to that group's channel, so that copy does reach it.)
 */
export function groupCopyRecipients(
  groups: readonly string[],
  index: number,
  membersOf: (group: string) => Iterable<Client> | undefined,
  exclude: readonly string[] = [],
): Client[] {
  const members = membersOf(groups[index] ?? '');
  if (members === undefined) {
    return [];
  }
  const excluded = new Set(exclude);
  const recipients: Client[] = [];
  for (const client of members) {
    if (excluded.has(client.id)) {
      continue;
    }
    let earlier = false;
    for (let i = 0; i < index && !earlier; i++) {
      earlier = client.groups?.has(groups[i]!) === true;
    }
    if (!earlier) {
      recipients.push(client);
    }
  }
  return recipients;
}
