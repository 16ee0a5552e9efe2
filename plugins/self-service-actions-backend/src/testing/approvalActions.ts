/** Actions that need approval: two of sre and olivia, one of them, self-approval, a short wait. */
export function approvalActions(receiverUrl: string) {
  const base = {
    type: 'Day2',
    icon: 'restart',
    status: 'Active',
    owner: 'group:default/platform',
    allowedPeople: ['group:default/team-a'],
    appliesTo: ['Service'],
    userInputs: { type: 'object', properties: { reason: { type: 'string' } } },
    method: { type: 'Webhook', url: `${receiverUrl}/hooks/ok` },
  };
  const approvers = ['group:default/sre', 'user:default/olivia'];
  return [
    {
      ...base,
      id: 'failover',
      name: 'Failover region',
      resultsVisibleTo: ['user:default/ed'],
      approval: { approvers, required: 2 },
    },
    { ...base, id: 'quick', name: 'Quick approval', approval: { approvers } },
    {
      ...base,
      id: 'self-approved',
      name: 'Self-approved',
      approval: { approvers: ['group:default/team-a'], allowSelfApproval: true },
    },
    {
      ...base,
      id: 'short-wait',
      name: 'Short wait',
      approval: { approvers, expiresAfter: { milliseconds: 1 } },
    },
  ];
}
