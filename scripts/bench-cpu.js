// CPU used by each party of `npm run bench` (scripts/bench.js) during a phase.
const fs = require('node:fs');

// CPU seconds used by each party (user + system), read from /proc: on a small machine the
// backend, PostgreSQL, the receiver and the load generator share the cores, so this shows who
// spent them during a phase.
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
function cpuSnapshot(backendPid, receiverPid, { postgres: withPostgres }) {
  const parties = { backend: cpuSeconds(backendPid), receiver: cpuSeconds(receiverPid), 'load generator': cpuSeconds(process.pid) };
  if (!withPostgres) return parties;
  // PostgreSQL runs a process per connection: counted per process, so that one that ends
  // during the phase does not take its earlier CPU away from the total.
  const postgres = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') postgres.set(entry, cpuSeconds(entry));
    } catch {
      // gone
    }
  }
  return { ...parties, postgres };
}
function cpuUsed(before, after, seconds) {
  return Object.keys(after)
    .map(name => {
      let used;
      if (after[name] instanceof Map) {
        used = 0;
        for (const [pid, total] of after[name]) used += total - (before[name].get(pid) ?? 0);
      } else {
        used = after[name] - before[name];
      }
      return `${name} ${(used / seconds * 100).toFixed(0)}%`;
    })
    .join(', ');
}

module.exports = { cpuSnapshot, cpuUsed };
