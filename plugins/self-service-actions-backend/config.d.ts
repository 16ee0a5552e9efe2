import { HumanDuration } from '@backstage/types';

export interface Config {
  /** Self-service actions: what developers may run from entity pages. */
  selfServiceActions?: {
    /** Users and groups (entity refs) who may see and run everything and see every run. */
    admins?: string[];
    /** Visibility of actions that do not set their own. Default: public. */
    defaultVisibility?: 'public' | 'private';
    reportToken?: {
      /** How long a run's report token stays valid while the run is in progress. Default: 1 day. */
      ttl?: HumanDuration | string;
      /** How long a run may stay pending approval before it is terminated. Default: 30 days. */
      maxPendingApproval?: HumanDuration | string;
    };
    report?: {
      /** Largest accepted request body, in bytes. Default: 1048576 (1 MiB). */
      maxBodyBytes?: number;
      /** Log lines kept per step; older lines are dropped. Default: 1000. */
      maxLogLinesPerStep?: number;
      /** Steps a run may hold. Default: 100. */
      maxSteps?: number;
      /** Longest accepted log line, in characters. Default: 10000. */
      maxLogLineLength?: number;
      /** Links a run keeps; a report's new links past it are dropped. Default: 50. */
      maxLinksPerRun?: number;
      /**
       * Bytes (UTF-8) of log lines a run keeps, all steps together; a report that would pass
       * it is accepted and the oldest lines of the run are dropped (each step says how many).
       * Default: 5242880 (5 MiB).
       */
      maxLogBytesPerRun?: number;
    };
    /** How often the expiry sweep runs. Default: 1 minute. */
    sweepFrequency?: HumanDuration | string;
    /**
     * How long one sweep may run. The scheduler gives the sweep to one instance at a time; if
     * that instance dies while sweeping, the next sweep waits until this has passed. Default:
     * 5 minutes.
     */
    sweepTimeout?: HumanDuration | string;
    /**
     * How long a user's read of an entity from the catalog (on entity-page requests) is reused
     * for that user: an entity the user may not see stays not found. 0 reads it every time.
     * Default: 5 seconds.
     */
    entityCacheTtl?: HumanDuration | string;
    /**
     * Bounds of in-memory queues: beyond them requests are refused with 503 and Retry-After,
     * or signals dropped, rather than memory growing.
     */
    limits?: {
      /**
       * PostgreSQL: requests waiting for a batched statement, per kind (run reads, run writes,
       * new runs); a request past it is answered 503 with Retry-After. Default 1000.
       */
      maxQueuedDatabaseRequests?: number;
      /** Run changes gathered for live-update signals; later ones are dropped (counted). Default 10000. */
      maxQueuedRunChanges?: number;
    };
    /** Durable dispatch of webhooks whose instance died before sending them. */
    dispatch?: {
      /** Added to the webhook timeout to make the sender's lease. Default: 30 seconds. */
      leaseMargin?: HumanDuration | string;
      /** How often runs whose lease ran out are looked for. Default: 10 seconds. */
      frequency?: HumanDuration | string;
    };
    webhook?: {
      /** How long the immediate answer to a webhook is awaited. Default: 10 seconds. */
      timeout?: HumanDuration | string;
      /**
       * Standard Webhooks signing secret(s) (base64, optionally prefixed whsec_). With a list,
       * every signature is sent, so secrets can be rotated without downtime.
       * @visibility secret
       */
      signingSecret?: string | string[];
      /**
       * Hosts webhooks may be sent to (exact names, or `*.example.com` for subdomains).
       * Default: any host.
       */
      allowedHosts?: string[];
      /** Largest immediate answer read, in bytes. Default: 1048576 (1 MiB). */
      maxResponseBytes?: number;
    };
    /**
     * Lifecycle events of runs (run.created, run.approved, run.rejected, run.dispatched,
     * run.succeeded, run.failed, run.terminated), POSTed as signed JSON to subscribers and
     * published on Backstage's events service. See docs/events.md.
     */
    events?: {
      /** HTTP endpoints that receive the events, each signed with its own secret. */
      subscribers?: Array<{
        /** Unique and stable, lower-case letters, digits and dashes. */
        id: string;
        /** http(s) URL the events are POSTed to. */
        url: string;
        /**
         * Standard Webhooks signing secret of this subscriber: `whsec_` and base64 (decoded as
         * the standardwebhooks library does), or any other string, used as its bytes.
         * @visibility secret
         */
        signingSecret: string;
        /** Event types sent to this subscriber. Default: all. */
        types?: Array<
          | 'run.created'
          | 'run.approved'
          | 'run.rejected'
          | 'run.dispatched'
          | 'run.succeeded'
          | 'run.failed'
          | 'run.terminated'
        >;
        /** Only events of runs of these actions (action ids). Default: all actions. */
        actions?: string[];
      }>;
      /**
       * Also publish every event on Backstage's events service (`eventsServiceRef`), topic
       * `self-service-actions`. Default: false (each publish crosses the events backend's bus when it is installed: turn it on when a module listens).
       */
      eventsService?: boolean;
      /** How long one delivery waits for the subscriber's answer. Default: 30 seconds. */
      timeout?: HumanDuration | string;
      /** The first retry's delay; later ones double, to an hour at most. Default: 5 seconds. */
      retryDelay?: HumanDuration | string;
      /** How long a delivery is retried before it is marked failed. Default: 24 hours. */
      retryFor?: HumanDuration | string;
      /** How often each instance looks for due deliveries. Default: 1 second. */
      pollInterval?: HumanDuration | string;
      /** How long delivered events are kept (listed by the deliveries route). Default: 7 days. */
      deliveredRetention?: HumanDuration | string;
      /** How long events that failed for good are kept (and can be retried). Default: 30 days. */
      failedRetention?: HumanDuration | string;
    };
    /**
     * Actions their owners create and change through the API and the editor (stored in the
     * plugin's database). Off unless `allowedUrls` is set.
     */
    managedActions?: {
      /**
       * URL prefixes where owner-managed actions may send (`https://hooks.example.com/`); a
       * prefix without a trailing slash matches only at a path, query or fragment boundary.
       * Without this list (or with an empty one), creating actions through the API is off (403)
       * and stored ones are not offered.
       */
      allowedUrls?: string[];
      /**
       * Let owner-managed webhooks reach loopback, link-local and private addresses. Default:
       * false: the address a name resolves to is checked when each request is sent.
       */
      allowPrivateNetworks?: boolean;
    };
    /**
     * Secrets owner-managed actions may name in header values and `signingSecret` as
     * `{{ secrets.NAME }}` (names: letters, digits, underscores). Resolved when a request is
     * built; never stored in the database or shown. A plain value may be named by any managed
     * action; `{ value, owners }` only by actions owned by those users or groups.
     * @deepVisibility secret
     */
    secrets?: { [name: string]: string | { value: string; owners?: string[] } };
    /** The actions on offer. */
    actions?: Array<{
      /** Unique and stable, lower-case letters, digits and dashes. */
      id: string;
      name: string;
      type: 'Day2' | 'Create' | 'Delete';
      /** A name from the icon set, or a data: or https: URL. */
      icon: string;
      status: 'Active' | 'Draft';
      description?: string;
      /** User or group entity ref. */
      owner: string;
      visibility?: 'public' | 'private';
      /** Who sees every run of the action. */
      resultsVisibleTo?: string[];
      /** Who may run it; '*' means any signed-in user. */
      allowedPeople?: string[];
      /** Let the owners of the target entity run it. */
      allowEntityOwners?: boolean;
      /** Application | Service | Resource | { kind, type }. No value: a global action. */
      appliesTo?: Array<string | { kind: string; type?: string }>;
      /**
       * JSON Schema (draft-07) of the form, or a configure8-style list of inputs. `secret: true`
       * on a property at any depth (nested objects, array `items`, allOf/anyOf/oneOf,
       * if/then/else, additionalProperties, patternProperties, schema dependencies) sends its
       * value to the method but never stores or returns it. A secret under `not`, `contains`,
       * `propertyNames`, tuple `items`, `additionalItems`, or reached through `$ref`, refuses the
       * action at start-up.
       */
      userInputs?: object | object[];
      /** RJSF uiSchema. */
      uiSchema?: object;
      /**
       * Whether AI agents may start runs through Backstage's actions registry (and so the MCP
       * actions backend), always as the user they act for. Default: true for Day2 and Create,
       * false for Delete.
       */
      agents?: {
        allowed?: boolean;
      };
      /**
       * Runs wait for this many approvals before anything is sent (not with secret inputs, at
       * any depth).
       */
      approval?: {
        /** Users and groups (entity refs) who may approve or reject; admins may too. */
        approvers: string[];
        /** Distinct approvals needed. Default: 1. One rejection rejects the run. */
        required?: number;
        /** Whether the initiator may decide on their own run. Default: false. */
        allowSelfApproval?: boolean;
        /** How long a run may wait; then it is rejected. Default: reportToken.maxPendingApproval. */
        expiresAfter?: HumanDuration | string;
      };
      /**
       * How the action is invoked: a webhook, a GitHub workflow or a GitLab pipeline (backend
       * modules add more types).
       */
      method:
        | {
            type: 'Webhook';
            httpMethod?: 'POST';
            url: string;
            queryParameters?: { [name: string]: string };
            /**
             * Header values often hold credentials.
             * @deepVisibility secret
             */
            headers?: { [name: string]: string };
            /** Template of the body; default: the standard envelope. */
            payload?: object;
            /** Root key for the report token when no template places it. Default: reportToken. */
            reportTokenKey?: string;
            /**
             * report: the receiver reports through /report with the run's token (default).
             * response: the answer is the result (Flashduty-style buttons): 2xx completes the run,
             * anything else or no answer within the timeout fails it; no token is minted.
             */
            completion?: 'report' | 'response';
            /** Overrides webhook.timeout for this action. */
            timeout?: HumanDuration | string;
            /**
             * Signing secret(s) of this action; replaces webhook.signingSecret for it.
             * @visibility secret
             */
            signingSecret?: string | string[];
          }
        | {
            type: 'GitHubWorkflow';
            /** GitHub host; its credentials come from integrations.github. Default: github.com. */
            host?: string;
            /** The repository's owner (user or organisation). */
            owner: string;
            repo: string;
            /** The workflow's file name (deploy.yml) or numeric id. */
            workflow: string | number;
            /** The branch or tag whose workflow file runs. */
            ref: string;
            /** Workflow inputs (templates); every value is sent as a string. */
            inputs?: { [name: string]: string };
            /** Name of the input that carries the report token. Default: report_token. */
            reportTokenInput?: string;
            /** Name of the input that carries the report URL. Default: report_url. */
            reportUrlInput?: string;
            /** How long GitHub's answer is awaited. Default: 10 seconds. */
            timeout?: HumanDuration | string;
          }
        | {
            type: 'GitLabPipeline';
            /** GitLab host; its token comes from integrations.gitlab. Default: gitlab.com. */
            host?: string;
            /** The project's numeric id or full path (group/sub/project). */
            project: string | number;
            /** The branch or tag the pipeline runs for. */
            ref: string;
            /** Pipeline variables (templates), sent as env_var variables. */
            variables?: { [key: string]: string };
            /** Name of the variable that carries the report token. Default: REPORT_TOKEN. */
            reportTokenVariable?: string;
            /** Name of the variable that carries the report URL. Default: REPORT_URL. */
            reportUrlVariable?: string;
            /** How long GitLab's answer is awaited. Default: 10 seconds. */
            timeout?: HumanDuration | string;
          };
    }>;
  };
}
