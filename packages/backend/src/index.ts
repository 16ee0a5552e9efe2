/*
 * Demo backend: catalog with the example entities, guest sign-in, signals (live run updates;
 * the events backend carries them between replicas on PostgreSQL), notifications (approvals),
 * the self-service actions plugin and the MCP actions backend (its actions for AI agents).
 * SQLite in memory by default; PostgreSQL when backend.database says so.
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-events-backend'));
backend.add(import('@backstage/plugin-signals-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@self-service-actions/plugin-self-service-actions-backend'));
// MCP clients (AI agents) reach the self-service actions through the actions registry.
backend.add(import('@backstage/plugin-mcp-actions-backend'));

backend.start();
