/* eslint-disable no-console */
// The demo's owner-managed action: created through the API at start-up, as Jane (the guest
// user, in team-a), so that a newcomer finds an action made in the portal beside those of
// app-config, and can open its editor. Used by `npm start` and by the browser tests.

/** The definition Jane's team saves (a header naming a config secret, as managed actions must). */
function purgeCdnDefinition(receiverUrl) {
  return {
    id: 'purge-cdn',
    name: 'Purge CDN cache',
    type: 'Day2',
    icon: 'sync',
    status: 'Active',
    description: 'Made in the portal by team-a: its owners edit it from the Self-service page',
    owner: 'group:default/team-a',
    appliesTo: ['Service'],
    allowedPeople: ['group:default/team-a'],
    userInputs: {
      type: 'object',
      required: ['paths'],
      properties: {
        paths: { type: 'string', title: 'Paths', description: 'One path pattern per line', default: '/*' },
      },
    },
    method: {
      type: 'Webhook',
      url: `${receiverUrl}/webhook`,
      headers: { Authorization: 'Bearer {{ secrets.DEMO_HOOK_TOKEN }}' },
      // the receiver verifies signatures; a managed webhook is signed with what it names only
      signingSecret: '{{ secrets.DEMO_SIGNING_SECRET }}',
    },
  };
}

/** A guest (Jane) token from the backend's guest provider. */
async function guestToken(backendUrl) {
  const res = await fetch(`${backendUrl}/api/auth/guest/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest' } });
  if (!res.ok) throw new Error(`guest sign-in answered ${res.status}`);
  return (await res.json()).backstageIdentity.token;
}

/**
 * Waits for the backend, then creates the action (an existing one, on a kept database, is left
 * as its owners last saved it). Resolves to what happened, in a line for the log.
 */
async function seedManagedAction({ backendUrl, receiverUrl, timeoutMs = 300_000 }) {
  const deadline = Date.now() + timeoutMs;
  const actionsUrl = `${backendUrl}/api/self-service-actions/actions`;
  // 401 without a token: the plugin is up.
  while ((await fetch(actionsUrl).then(r => r.status, () => 0)) !== 401) {
    if (Date.now() > deadline) throw new Error(`${actionsUrl} not up in time`);
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
  const res = await fetch(actionsUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${await guestToken(backendUrl)}`, 'content-type': 'application/json' },
    body: JSON.stringify(purgeCdnDefinition(receiverUrl)),
  });
  if (res.status === 201) return 'created "Purge CDN cache" (purge-cdn) through POST /actions, owned by team-a';
  if (res.status === 409) return '"Purge CDN cache" (purge-cdn) is already there';
  throw new Error(`creating the demo's managed action answered ${res.status}: ${await res.text()}`);
}

module.exports = { seedManagedAction, purgeCdnDefinition };
