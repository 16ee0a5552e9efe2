#!/usr/bin/env node
// @ts-check
/* eslint-disable no-console */
'use strict';

const { createReceiver } = require('./receiver');
const { DEMO_EVENTS_SECRET } = require('./events');

const port = Number(process.env.RECEIVER_PORT ?? 7008);
const stepDelayMs = Number(process.env.RECEIVER_STEP_DELAY_MS ?? 1500);
// The demo's secret (app-config.yaml uses the same default); set SSA_SIGNING_SECRET for your own.
const signingSecret =
  process.env.SSA_SIGNING_SECRET ?? 'whsec_eln4ilYOy1NJc7IDmI6rjnsCvV9noUHEAvUla7C7JDA=';
// Lifecycle events (POST /events) are signed with the subscriber's own secret: SSA_EVENTS_SECRET.
const eventsSecret = process.env.SSA_EVENTS_SECRET || DEMO_EVENTS_SECRET;
const { server } = createReceiver({ stepDelayMs, signingSecret, eventsSecret });
server.listen(port, '127.0.0.1', () => {
  console.log(
    `[receiver] example webhook receiver listening on http://127.0.0.1:${port}/webhook (events: /events)`,
  );
});
