#!/usr/bin/env node
// @ts-check
/* eslint-disable no-console */
'use strict';

const { createReceiver } = require('./receiver');

const port = Number(process.env.RECEIVER_PORT ?? 7008);
const stepDelayMs = Number(process.env.RECEIVER_STEP_DELAY_MS ?? 1500);
const { server } = createReceiver({ stepDelayMs });
server.listen(port, '127.0.0.1', () => {
  console.log(`[receiver] example webhook receiver listening on http://127.0.0.1:${port}/webhook`);
});
